"""Grant a user something in a namespace: one Role and one RoleBinding."""

from __future__ import annotations

from kubernetes import client


def grant(api_client: client.ApiClient, namespace: str, user: str, name: str,
          rules: list[client.V1PolicyRule]) -> None:
    rbac = client.RbacAuthorizationV1Api(api_client)
    rbac.create_namespaced_role(namespace, client.V1Role(
        metadata=client.V1ObjectMeta(name=name), rules=rules))
    rbac.create_namespaced_role_binding(namespace, client.V1RoleBinding(
        metadata=client.V1ObjectMeta(name=f"{name}-{user}"),
        role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="Role", name=name),
        subjects=[client.RbacV1Subject(kind="User", name=user,
                                       api_group="rbac.authorization.k8s.io")]))

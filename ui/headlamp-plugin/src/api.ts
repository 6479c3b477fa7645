/** The requests the views make, as the signed-in user. */
import { request } from './headlamp';
import { API_VERSION, DynamicJob, DynamicJobTemplate, GROUP, JsonObject, VERSION } from './model';

const BASE = `/apis/${GROUP}/${VERSION}`;

export function jobsPath(namespace?: string, name?: string): string {
  const scope = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${BASE}${scope}/dynamicjobs${name ? `/${encodeURIComponent(name)}` : ''}`;
}

export async function listJobs(namespace?: string): Promise<DynamicJob[]> {
  const list = await request<{ items: DynamicJob[] }>(jobsPath(namespace));
  return list.items.map(job => ({ ...job, apiVersion: API_VERSION, kind: 'DynamicJob' }));
}

export async function getJob(namespace: string, name: string): Promise<DynamicJob> {
  return request<DynamicJob>(jobsPath(namespace, name));
}

export async function listTemplates(): Promise<DynamicJobTemplate[]> {
  const list = await request<{ items: DynamicJobTemplate[] }>(`${BASE}/dynamicjobtemplates`);
  return list.items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

export async function getTemplate(name: string): Promise<DynamicJobTemplate> {
  return request<DynamicJobTemplate>(`${BASE}/dynamicjobtemplates/${encodeURIComponent(name)}`);
}

export function patchJob(namespace: string, name: string, patch: JsonObject) {
  return request<DynamicJob>(jobsPath(namespace, name), {
    method: 'PATCH',
    body: patch,
    contentType: 'application/merge-patch+json',
  });
}

export function createJob(body: DynamicJob, dryRun: boolean) {
  const namespace = body.metadata.namespace ?? 'default';
  return request<DynamicJob>(`${jobsPath(namespace)}${dryRun ? '?dryRun=All' : ''}`, {
    method: 'POST',
    body,
  });
}

export function deleteJob(namespace: string, name: string) {
  return request<unknown>(jobsPath(namespace, name), { method: 'DELETE' });
}

export interface KubeEvent {
  metadata: { name: string; uid?: string };
  type?: string;
  reason?: string;
  message?: string;
  lastTimestamp?: string;
  eventTime?: string;
  count?: number;
}

export async function jobEvents(namespace: string, name: string): Promise<KubeEvent[]> {
  const selector = [`involvedObject.name=${name}`, 'involvedObject.kind=DynamicJob'].join(',');
  const list = await request<{ items: KubeEvent[] }>(
    `/api/v1/namespaces/${encodeURIComponent(namespace)}/events?fieldSelector=${encodeURIComponent(
      selector
    )}`
  );
  const when = (e: KubeEvent) => e.lastTimestamp ?? e.eventTime ?? '';
  return list.items.sort((a, b) => when(b).localeCompare(when(a)));
}

export interface Access {
  verb: string;
  namespace?: string;
  name?: string;
  resource?: string;
  subresource?: string;
}

/** SelfSubjectAccessReview: may the signed-in user do this? (What Headlamp's
 * getAuthorization asks the API server too.) */
export async function allowed(access: Access): Promise<boolean> {
  const review = await request<{ status?: { allowed?: boolean } }>(
    '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    {
      method: 'POST',
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: {
          resourceAttributes: {
            group: GROUP,
            resource: access.resource ?? 'dynamicjobs',
            verb: access.verb,
            namespace: access.namespace,
            name: access.name,
            subresource: access.subresource,
          },
        },
      },
    }
  );
  return review.status?.allowed === true;
}

/** The signed-in user's name (SelfSubjectReview), for suspended-by; none if not told. */
export async function whoAmI(): Promise<string | undefined> {
  try {
    const review = await request<{ status?: { userInfo?: { username?: string } } }>(
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      {
        method: 'POST',
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      }
    );
    return review.status?.userInfo?.username;
  } catch {
    return undefined;
  }
}

export async function namespaces(): Promise<string[]> {
  try {
    const list = await request<{ items: { metadata: { name: string } }[] }>('/api/v1/namespaces');
    return list.items.map(n => n.metadata.name).sort();
  } catch {
    return [];
  }
}

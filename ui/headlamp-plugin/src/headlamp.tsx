/**
 * What the views take from Headlamp: its API proxy (requests go to the current cluster,
 * `/clusters/<cluster>/...`, as the signed-in user), its router's URLs for the plugin's
 * routes (registered in index.tsx) and react-router, which Headlamp shares.
 */
import { ApiProxy, Router } from '@kinvolk/headlamp-plugin/lib';
import React from 'react';
import { Link as RouterLink, useHistory } from 'react-router-dom';

export const ROUTES = {
  list: 'dynamicjobs',
  create: 'dynamicjob-create',
  details: 'dynamicjob',
};

export interface RequestInit {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  body?: unknown;
  /** For PATCH: merge patch unless told. */
  contentType?: string;
}

/** A request to the current cluster's API server through Headlamp's proxy. */
export function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers['Content-Type'] = init.contentType ?? 'application/json';
  return ApiProxy.request(path, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  }) as Promise<T>;
}

/** An API server's refusal: its status code and its message. */
export class ApiError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

/** The message and status of whatever a request threw (Headlamp's proxy throws an Error
 * with `.status`, its message `StatusText - message`). */
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const e = error as { message?: string; status?: number };
  return new ApiError(String(e?.message ?? error), Number(e?.status ?? 0));
}

export const listHref = () => Router.createRouteURL(ROUTES.list);
export const createHref = () => Router.createRouteURL(ROUTES.create);
export const jobHref = (namespace: string, name: string) =>
  Router.createRouteURL(ROUTES.details, { namespace, name });

/** Go to one of the plugin's pages, in Headlamp's history. */
export function useNavigate(): (href: string) => void {
  const history = useHistory();
  return React.useCallback((href: string) => history.push(href), [history]);
}

/** A link within Headlamp: its router's Link. */
export function JobLink(props: { href: string; children: React.ReactNode }) {
  return <RouterLink to={props.href}>{props.children}</RouterLink>;
}

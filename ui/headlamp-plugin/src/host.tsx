/**
 * What the views need from the dashboard around them: requests to the cluster's API (as
 * the signed-in user) and links between the plugin's pages. In Headlamp these are
 * ApiProxy.request and its router (index.tsx provides them).
 */
import React from 'react';

export interface RequestInit {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  body?: unknown;
  /** For PATCH: merge patch unless told. */
  contentType?: string;
}

export interface Host {
  request<T>(path: string, init?: RequestInit): Promise<T>;
  listHref(): string;
  createHref(): string;
  jobHref(namespace: string, name: string): string;
  navigate(href: string): void;
  /** A link: Headlamp's router Link, or a plain anchor. */
  Link: React.ComponentType<{ href: string; children: React.ReactNode }>;
}

/** An API server's refusal: its status code and its message. */
export class ApiError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

/** The message and status of whatever a request threw. */
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const e = error as { message?: string; status?: number };
  return new ApiError(String(e?.message ?? error), Number(e?.status ?? 0));
}

export const HostContext = React.createContext<Host | null>(null);

export function useHost(): Host {
  const host = React.useContext(HostContext);
  if (!host) throw new Error('DynamicJobs views need a HostContext');
  return host;
}

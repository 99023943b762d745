// Public face of libs/discovery: target groups from static and file-based service discovery.
export { StaticDiscoverer, targetGroupsOf } from './discovery.ts';
export type { Discoverer, TargetGroup } from './discovery.ts';
export { FileDiscoverer, parseTargetGroups } from './file.ts';
export type { FileDiscovererOptions } from './file.ts';
export { HTTPDiscoverer } from './http.ts';
export type { HTTPDiscovererOptions } from './http.ts';
export { DNSDiscoverer } from './dns.ts';
export type { DNSDiscovererOptions } from './dns.ts';

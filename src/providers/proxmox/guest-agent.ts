// The guest's address as its QEMU guest agent reports it. The guest answers for itself (anyone with
// root in it can make the agent say anything), so an address is used only if it parses as one.
import { isIP } from 'node:net';

export interface AgentInterface {
  name: string;
  'hardware-address'?: string;
  'ip-addresses'?: { 'ip-address': string; 'ip-address-type': 'ipv4' | 'ipv6'; prefix: number }[];
}

/** The address to reach the guest on: the first global IPv4, else the first global IPv6. */
export function guestAddress(interfaces: readonly AgentInterface[]): string | undefined {
  const all = (Array.isArray(interfaces) ? interfaces : []).filter((i) => i && i.name !== 'lo').flatMap((i) => (Array.isArray(i['ip-addresses']) ? i['ip-addresses'] : []))
    .filter((a) => a && typeof a['ip-address'] === 'string' && isIP(a['ip-address']) === (a['ip-address-type'] === 'ipv6' ? 6 : 4));
  const v4 = all.find((a) => a['ip-address-type'] === 'ipv4' && !a['ip-address'].startsWith('169.254.'));
  if (v4) return v4['ip-address'];
  return all.find((a) => a['ip-address-type'] === 'ipv6' && !/^fe80:/i.test(a['ip-address']) && a['ip-address'] !== '::1')?.['ip-address'];
}

/** Why there is no address, for the user: which of agent-not-configured / not-running it is. */
export function agentProblem(message: string): 'not-configured' | 'not-running' | 'vm-stopped' | undefined {
  if (/No QEMU guest agent configured/i.test(message)) return 'not-configured';
  if (/guest agent is not running/i.test(message)) return 'not-running';
  if (/not running/i.test(message)) return 'vm-stopped';
  return undefined;
}

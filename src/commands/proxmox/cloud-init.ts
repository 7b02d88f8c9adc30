// Cloud-init after the clone: a wizard (Back, a summary) for the user, SSH keys, IP configuration
// and DNS of an existing VM, written with the config digest it was read with, then the cloud-init
// drive regenerated and a reboot offered (the guest reads the drive at boot).
import * as vscode from 'vscode';
import type { CloudInitEdit } from '../../providers/proxmox/cloud-init-edit';
import { editOf, parseIpconfig, splitKeys, type CloudInitCurrent as Current, type CloudInitForm as State } from '../../providers/proxmox/cloud-init-form';
import type { CommandRegistry } from '../registry';
import { runWizard, type SummaryLine, type WizardStep } from '../wizard';
import { explain, guestName, resolveGuest } from './guest-target';
import { expectOk, type OperationDeps } from './operation';

async function editCloudInit(deps: OperationDeps, args: unknown[]): Promise<string> {
  // Checked against the live status and the config (a cloud-init drive); the config's digest guards the write.
  const t = await resolveGuest(deps, args[0], { action: 'editCloudInit', types: ['qemu'], title: vscode.l10n.t('Edit the cloud-init settings of which VM?') });
  const { client } = t;
  const conf = t.config!;
  const [{ guestStatus, powerGuest }, ci, edit] = await Promise.all([
    import('../../providers/proxmox/guests'), import('../../providers/proxmox/cloud-init'), import('../../providers/proxmox/cloud-init-edit'),
  ]);
  const read = edit.readCloudInit(conf);
  const cur: Current = { user: read.user ?? '', sshKeys: read.sshKeys, ipconfig0: read.ipconfig0 ?? '', nameserver: read.nameserver ?? '', searchdomain: read.searchdomain ?? '' };
  const ip = parseIpconfig(cur.ipconfig0);
  const s: State = { user: cur.user, keys: cur.sshKeys.join('; '), net: 'keep', cidr: ip.ip && ip.ip !== 'dhcp' ? ip.ip : '', gateway: ip.gw ?? '', nameserver: cur.nameserver, searchdomain: cur.searchdomain };
  const who = guestName(t.ref);
  const title = (what: string) => vscode.l10n.t('Cloud-init of {0}: {1}', who, what);
  const check = (e: CloudInitEdit) => {
    try {
      edit.cloudInitParams(e);
      return undefined;
    } catch (err) {
      return /Nothing to change/.test((err as Error).message) ? undefined : (err as Error).message;
    }
  };
  const netLabel = (st: State) => st.net === 'keep' ? vscode.l10n.t('unchanged ({0})', cur.ipconfig0 || vscode.l10n.t('not set')) : st.net === 'dhcp' ? vscode.l10n.t('DHCP') : `${st.cidr}${st.gateway ? vscode.l10n.t(' via {0}', st.gateway) : ''}`;
  const steps: WizardStep<State>[] = [
    async (st, at) => { st.user = (await deps.prompts.inputStep({ title: title(vscode.l10n.t('user')), prompt: vscode.l10n.t('The user cloud-init creates (empty: the image\'s default user)'), value: st.user, validateInput: (v) => check({ user: v }) }, at)).trim(); },
    async (st, at) => {
      st.keys = await deps.prompts.inputStep({
        title: title(vscode.l10n.t('SSH public keys')), prompt: vscode.l10n.t('One or more public key lines (ssh-ed25519 AAAA… you@host), separated by ";"; empty removes them'),
        value: st.keys, validateInput: (v) => check({ sshKeys: splitKeys(v) }),
      }, at);
    },
    async (st, at) => {
      const items = [
        { label: vscode.l10n.t('Keep'), description: cur.ipconfig0 || vscode.l10n.t('not set'), id: 'keep' },
        { label: vscode.l10n.t('DHCP'), id: 'dhcp' },
        { label: vscode.l10n.t('Static address'), description: st.cidr || undefined, id: 'static' },
      ];
      const [c] = await deps.prompts.pickStep(items, { title: title(vscode.l10n.t('IP configuration (net0)')) }, at);
      st.net = c.id as State['net'];
    },
    async (st, at) => {
      if (st.net !== 'static') return 'skip';
      st.cidr = (await deps.prompts.inputStep({ title: title(vscode.l10n.t('address')), prompt: vscode.l10n.t('IPv4 address with prefix length, e.g. 192.168.1.50/24'), value: st.cidr, validateInput: (v) => { const c = ci.parseCidr(v); return typeof c === 'string' ? c : undefined; } }, at)).trim();
    },
    async (st, at) => {
      if (st.net !== 'static') return 'skip';
      const cidr = ci.parseCidr(st.cidr);
      st.gateway = (await deps.prompts.inputStep({ title: title(vscode.l10n.t('gateway')), prompt: vscode.l10n.t('The gateway in {0} (empty: none)', st.cidr), value: st.gateway, validateInput: (v) => (v.trim() && typeof cidr !== 'string' ? ci.checkGateway(cidr, v.trim()) : undefined) }, at)).trim();
    },
    async (st, at) => { st.nameserver = await deps.prompts.inputStep({ title: title(vscode.l10n.t('DNS servers')), prompt: vscode.l10n.t('Addresses separated by spaces (empty: the host\'s)'), value: st.nameserver, validateInput: (v) => check({ nameserver: v }) }, at); },
    async (st, at) => { st.searchdomain = await deps.prompts.inputStep({ title: title(vscode.l10n.t('DNS search domain')), prompt: vscode.l10n.t('e.g. lab.example.org (empty: the host\'s)'), value: st.searchdomain, validateInput: (v) => check({ searchdomain: v }) }, at); },
    async (st, at) => {
      const keys = splitKeys(st.keys);
      const lines: SummaryLine[] = [
        { label: vscode.l10n.t('User'), value: st.user || vscode.l10n.t('(image default)'), step: 0 },
        { label: vscode.l10n.t('SSH keys'), value: keys.length ? keys.map((k) => k.split(/\s+/)[2] ?? k.slice(0, 24) + '…').join(', ') : vscode.l10n.t('none'), step: 1 },
        { label: vscode.l10n.t('IP configuration'), value: netLabel(st), step: 2 },
        { label: vscode.l10n.t('DNS servers'), value: st.nameserver || vscode.l10n.t('(host\'s)'), step: 5 },
        { label: vscode.l10n.t('Search domain'), value: st.searchdomain || vscode.l10n.t('(host\'s)'), step: 6 },
      ];
      await deps.prompts.summaryStep(title(vscode.l10n.t('summary')), lines, vscode.l10n.t('Apply and regenerate the cloud-init drive'), at);
    },
  ];
  await runWizard(s, steps);
  const change = editOf(s, cur);
  if (!Object.keys(change).length) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Nothing changed in the cloud-init settings of {0}.', who));
    return 'unchanged';
  }
  try {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Writing the cloud-init settings of {0}…', who) }, () => edit.applyCloudInit(client, t.ref, change, conf.digest));
  } catch (e) {
    throw explain(e, t.ref);
  }
  deps.log.info(`cloud-init of VM ${t.ref.vmid}: ${Object.keys(change).join(', ')} changed, drive regenerated`);
  await deps.session.refresh(t.cluster.id);
  const now = await guestStatus(client, t.ref);
  if (now.status !== 'running') {
    void vscode.window.showInformationMessage(vscode.l10n.t('The cloud-init settings of {0} are saved; the VM reads them at its next start.', who));
    return 'applied';
  }
  const reboot = vscode.l10n.t('Reboot');
  try {
    await deps.prompts.confirm(vscode.l10n.t('Reboot {0} now?', who), vscode.l10n.t('The cloud-init drive was regenerated; the VM applies the new settings when it boots.'), reboot);
  } catch {
    return 'applied';
  }
  const upid = await powerGuest(client, t.ref, 'reboot');
  expectOk(await deps.operations.follow(t.cluster, client, upid, { vmName: t.ref.name }), vscode.l10n.t('Rebooting {0}', who));
  return 'rebooted';
}

export function registerCloudInitCommands(registry: CommandRegistry, deps: OperationDeps): void {
  registry.register('homelab.proxmox.editCloudInit', (...args: unknown[]) => editCloudInit(deps, args));
}

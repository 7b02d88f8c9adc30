// What the demo lab (the built-in Proxmox simulator) cannot do, said in a sentence instead of an
// attempt that fails after a timeout: its guests are simulated, nothing answers at their addresses,
// and the demo never contacts anything outside this machine.
import * as vscode from 'vscode';
import { CancelledError } from '../../providers/cancellation';

/** The id `connectDemoLab` gives the simulated cluster. */
export const DEMO_LAB_ID = 'demo-lab';

export type DemoLimit = 'shell' | 'console';

export function demoLimitMessage(limit: DemoLimit): string {
  return limit === 'shell'
    ? vscode.l10n.t('The demo lab\'s VMs are simulated: no SSH server answers at their addresses, and the demo contacts nothing outside this machine. On your own cluster, Open SSH Shell logs in over SSH with the key in homelab.ssh.privateKeyPath (the demo sets one up so the clone wizard can offer it).')
    : vscode.l10n.t('The demo lab is a simulator that serves only the Proxmox API: it has no noVNC web console. On your own cluster, Open Web Console opens the VM\'s console in your browser. For a shell in the demo, use a Kubernetes pod: right-click it in the Kubernetes view → Open Shell.');
}

/** Says why and stops the command (quietly: the message is the answer) when the cluster is the demo lab. */
export function refuseInDemoLab(cluster: { id: string }, limit: DemoLimit): void {
  if (cluster.id !== DEMO_LAB_ID) return;
  void vscode.window.showInformationMessage(demoLimitMessage(limit));
  throw new CancelledError();
}

import * as vscode from 'vscode';
import type { PortForwardInfo, PortForwards } from '../../services/kubernetes';
import type { KubernetesCommandDeps } from './deps';
import { liveObject, objectArg } from './deps';

/** Ports an object names: a pod's container ports, a service's ports. */
function knownPorts(obj: { spec?: unknown }, kind: string): number[] {
  const spec = (obj.spec ?? {}) as { containers?: { ports?: { containerPort: number }[] }[]; ports?: { port: number }[] };
  return kind === 'services' ? (spec.ports ?? []).map((p) => p.port) : (spec.containers ?? []).flatMap((c) => c.ports ?? []).map((p) => p.containerPort);
}

/** The forward a command was invoked on: a tree row or an id; from the palette, the selected row or a pick. */
async function forwardArg(deps: KubernetesCommandDeps, forwards: PortForwards, arg: unknown, title: string): Promise<PortForwardInfo> {
  const idOf = (x: unknown) => typeof x === 'string' ? x : (x as { forwardId?: string } | undefined)?.forwardId;
  const id = idOf(arg) ?? (arg === undefined ? idOf(deps.view.selection[0]) : undefined);
  if (id) {
    const f = forwards.get(id);
    if (!f) throw new Error(vscode.l10n.t('This port-forward is no longer running.'));
    return f;
  }
  const all = forwards.list();
  if (!all.length) throw new Error(vscode.l10n.t('No port-forward is running.'));
  const picked = await deps.prompts.pick(all.map((f) => ({
    label: `127.0.0.1:${f.localPort}`, description: `${f.target.context}/${f.target.namespace}/${f.target.kind === 'services' ? 'svc/' : ''}${f.target.name}:${f.target.port}`, id: f.id,
  })), { title });
  return forwards.get(picked.id) ?? all[0];
}

/** Port-forward from a pod or service; stop; open in a browser (through VS Code's port mapping). */
export function registerPortForwardCommands(deps: KubernetesCommandDeps & { forwards: PortForwards }): void {
  const { registry, session, prompts, forwards } = deps;

  const open = async (f: PortForwardInfo) => {
    // A remote or web VS Code maps the local port to one the browser can reach.
    const uri = await vscode.env.asExternalUri(vscode.Uri.parse(`http://127.0.0.1:${f.localPort}/`));
    await vscode.env.openExternal(uri);
    return uri.toString();
  };

  registry.register('homelab.kubernetes.portForward', async (arg?: unknown) => {
    const e = objectArg(arg, ['pods', 'services'], deps.view.selection);
    const k8s = await session.modules();
    const known = knownPorts(liveObject(deps, e), e.resource);
    const check = (allowZero: boolean) => (v: string) => {
      try { k8s.portforward.parsePort(v, allowZero); return undefined; } catch (err) { return (err as Error).message; }
    };
    const remote = k8s.portforward.parsePort(await prompts.input({
      title: vscode.l10n.t('Port-forward {0}/{1}: port of the {2}', e.namespace, e.name, e.resource === 'services' ? vscode.l10n.t('service') : vscode.l10n.t('pod')),
      prompt: known.length ? vscode.l10n.t('Declared ports: {0}', known.join(', ')) : vscode.l10n.t('No ports are declared; any port the container listens on works.'),
      value: known.length ? String(known[0]) : '',
      validateInput: check(false),
    }));
    const local = k8s.portforward.parsePort(await prompts.input({
      title: vscode.l10n.t('Port-forward {0}/{1}: local port', e.namespace, e.name),
      prompt: vscode.l10n.t('A port on 127.0.0.1; 0 picks any free port.'),
      value: remote > 1023 ? String(remote) : '0',
      validateInput: check(true),
    }), true);
    const f = await forwards.start({ context: e.context, namespace: e.namespace, kind: e.resource as 'pods' | 'services', name: e.name, port: remote }, local);
    const openLabel = vscode.l10n.t('Open in Browser');
    void vscode.window.showInformationMessage(vscode.l10n.t('Forwarding 127.0.0.1:{0} to {1}/{2}:{3}', f.localPort, e.namespace, e.name, remote), openLabel)
      .then((a) => { if (a === openLabel) return open(f); }, () => undefined);
    return f;
  });

  registry.register('homelab.kubernetes.portForwardStop', async (arg?: unknown) => {
    const f = await forwardArg(deps, forwards, arg, vscode.l10n.t('Stop Port-Forward'));
    await forwards.stop(f.id);
    return f.localPort;
  });

  registry.register('homelab.kubernetes.portForwardOpen', async (arg?: unknown) => {
    const f = await forwardArg(deps, forwards, arg, vscode.l10n.t('Open in Browser'));
    if (f.state === 'ended') throw new Error(f.message ?? vscode.l10n.t('This port-forward has ended.'));
    return open(f);
  });
}

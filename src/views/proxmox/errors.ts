import * as vscode from 'vscode';
import { isProxmoxError } from '../../providers/proxmox/errors';

export interface ErrorDescription {
  /** One line for a tree item. */
  text: string;
  /** What happened and what to do, for a tooltip or a message. */
  detail: string;
  certificateChanged: boolean;
}

/** A short, actionable description of why a cluster could not be read. */
export function describeError(err: unknown): ErrorDescription {
  const message = err instanceof Error ? err.message : String(err);
  if (isProxmoxError(err, 'tls-untrusted') && err.actualFingerprint) {
    return {
      text: vscode.l10n.t('Certificate changed: connection refused'),
      detail: vscode.l10n.t(
        'The cluster presented a certificate with SHA-256 {0}, but {1} is pinned. This happens after a certificate renewal, or when someone intercepts the connection. Review it before trusting it.',
        err.actualFingerprint,
        err.expectedFingerprint ?? '?',
      ),
      certificateChanged: true,
    };
  }
  if (isProxmoxError(err)) {
    const short: Record<string, string> = {
      auth: vscode.l10n.t('Authentication failed'),
      permission: vscode.l10n.t('Permission denied'),
      timeout: vscode.l10n.t('Timed out'),
      network: vscode.l10n.t('Unreachable'),
      'not-proxmox': vscode.l10n.t('Not a Proxmox VE API'),
      'node-offline': vscode.l10n.t('Node offline'),
      'too-large': vscode.l10n.t('Response too large'),
    };
    return { text: short[err.kind] ?? vscode.l10n.t('Error'), detail: message, certificateChanged: false };
  }
  return { text: vscode.l10n.t('Error'), detail: message, certificateChanged: false };
}

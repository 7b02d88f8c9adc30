// A guest's notes: the markdown PVE keeps in the config's `description`. Saved back with the
// digest read alongside, so a concurrent change is refused (ConfigChangedError), never overwritten.
import { InvalidInputError } from './errors';
import { classifyGuestError } from './guest-errors';
import { guestConfig, guestPath, type GuestApi, type GuestRef } from './guests';

/** The schema's maxLength of `description` (qemu and lxc). */
export const NOTES_MAX = 8192;

export interface GuestNotes {
  notes: string;
  /** The config digest the notes were read with: pass it to saveNotes. */
  digest: string;
}

export async function readNotes(api: GuestApi, g: GuestRef): Promise<GuestNotes> {
  const conf = await guestConfig(api, g);
  return { notes: typeof conf.description === 'string' ? conf.description : '', digest: conf.digest };
}

/** Saves `notes` if the config is still at `digest`; throws ConfigChangedError if it is not,
 *  GuestLockedError if the guest is locked. Empty notes delete the key, as the web UI does. */
export async function saveNotes(api: GuestApi, g: GuestRef, notes: string, digest: string): Promise<void> {
  if (!digest) throw new InvalidInputError('digest', 'Notes can only be saved with the digest they were read with (read them first).');
  if (notes.length > NOTES_MAX) throw new InvalidInputError('notes', `The notes of ${g.type === 'qemu' ? 'VM' : 'container'} ${g.vmid} are ${notes.length} characters long: Proxmox keeps at most ${NOTES_MAX}.`);
  const params: Record<string, string> = notes.trim() ? { description: notes, digest } : { delete: 'description', digest };
  try {
    await api.put(guestPath(g, 'config'), params);
  } catch (e) {
    throw classifyGuestError(e, g, 'the notes');
  }
}

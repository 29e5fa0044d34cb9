/**
 * The Connect door's NotesHost: the app's context-token API (`/api/...`, `Authorization: JWT <AP token>`)
 * and flags through AP. Browser only.
 */
import { showFlag } from '../ap';
import { apiFetch } from '../ap/api';
import type { NotesHost } from './notes-host';

export const connectHost: NotesHost = {
  request: (path, init) => apiFetch(`/api${path}`, init),
  showFlag: (title, body, type) => showFlag(title, body, type),
};

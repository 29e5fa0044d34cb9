/** A note as the app's API returns it (app/api/notes). */
export interface Note {
  id: string;
  issueKey: string;
  projectKey: string | null;
  text: string;
  authorAccountId: string;
  createdAt: string;
  /** True when the current user wrote it (and so may delete it). */
  mine: boolean;
}

/** The `jira:issuePanel` Custom UI: the shared notes panel, the issue from the product's context. */
import '../../app/globals.css';
import { IssueNotes } from '../../app/_components/notes/IssueNotes';
import { forgeHost } from '../../lib/ui/forge-host';
import { mount } from './mount';

mount((context) => (
  <IssueNotes host={forgeHost} issueKey={context.extension?.issue?.key} projectKey={context.extension?.project?.key} />
));

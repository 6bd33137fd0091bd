import type { MatrixCell, PolicyView } from '../common/index.ts';
import { ScrollArea } from '../../../web/plugin-api.ts';

const CELL_TEXT: Record<Exclude<MatrixCell, null>, { symbol: string; words: string }> = {
  allow: { symbol: '✓', words: 'allowed' },
  deny: { symbol: '✕', words: 'denied' },
  conditional: { symbol: '◐', words: 'allowed on conditions' },
};

/**
 * Roles × permissions: what each role's own rules say (a caller with several roles gets the
 * union, with a deny winning). Empty cells: no rule of the role names the permission.
 */
export function MatrixTable({ policy }: { policy: PolicyView }) {
  const { roles, permissions, cells } = policy.matrix;
  const sourceOf = new Map(policy.roles.map((r) => [r.name, r]));
  if (!roles.length) {
    return <p className="muted">No roles yet: add one below or in a policy file.</p>;
  }
  return (
    <ScrollArea label="Permissions per role">
      <table className="access-matrix" data-testid="access-matrix">
        <caption className="visually-hidden">
          What each role may do: rows are roles, columns permissions
        </caption>
        <thead>
          <tr>
            <th scope="col">Role</th>
            {permissions.map((p) => (
              <th key={p} scope="col" className="permission-column">
                <span>{p}</span>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {roles.map((role, r) => {
            const view = sourceOf.get(role);
            return (
              <tr key={role} data-role={role}>
                <th scope="row">
                  <span className="role-name">{role}</span>
                  <span className="role-source muted">
                    {view ? (view.editable ? 'database' : view.source) : 'built in'}
                  </span>
                </th>
                {permissions.map((p, c) => {
                  const cell = cells[r]?.[c] ?? null;
                  const text = cell ? CELL_TEXT[cell] : undefined;
                  return (
                    <td
                      key={p}
                      className={cell ? `matrix-cell cell-${cell}` : 'matrix-cell'}
                      data-permission={p}
                      title={text ? `${role}: ${p} ${text.words}` : `${role}: no rule for ${p}`}
                    >
                      {text ? (
                        <>
                          <span aria-hidden="true">{text.symbol}</span>
                          <span className="visually-hidden">{text.words}</span>
                        </>
                      ) : null}
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
    </ScrollArea>
  );
}

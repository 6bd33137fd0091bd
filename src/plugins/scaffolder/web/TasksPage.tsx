import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { usePageTitle, useQueryParams, ScrollArea } from '../../../web/plugin-api.ts';
import { ErrorState, formatTime, Loading, Pager } from '../../catalog/web/shared.tsx';
import type { SerializedTask, TaskStatus } from '../common/index.ts';
import { listTasks } from './api.ts';

const PAGE_SIZE = 25;
const STATUSES: TaskStatus[] = ['open', 'processing', 'completed', 'failed', 'cancelled'];

function templateOf(task: SerializedTask): string {
  const meta = task.spec.templateInfo?.entity?.metadata as
    | { title?: unknown; name?: unknown }
    | undefined;
  if (typeof meta?.title === 'string') return meta.title;
  if (typeof meta?.name === 'string') return meta.name;
  return task.spec.templateInfo?.entityRef ?? 'unknown template';
}

/** Past and running tasks, newest first. */
export function TasksPage() {
  usePageTitle('Tasks');
  const [params, set] = useQueryParams();
  const status = (params.get('status') ?? undefined) as TaskStatus | undefined;
  const page = Math.max(1, Number(params.get('page') ?? '1') || 1);
  const tasks = useQuery({
    queryKey: ['scaffolder-tasks', status, page],
    queryFn: ({ signal }) =>
      listTasks({ status, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }, signal),
    placeholderData: keepPreviousData,
  });
  const pages = Math.max(1, Math.ceil((tasks.data?.totalTasks ?? 0) / PAGE_SIZE));
  return (
    <div className="page">
      <h1>Tasks</h1>
      <p className="muted">
        Every run of a template. <Link to="/create">Create something new</Link>.
      </p>
      <form className="filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select
            value={status ?? ''}
            onChange={(e) => set({ status: e.target.value || undefined, page: undefined })}
          >
            <option value="">All</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </form>
      {tasks.isPending ? (
        <Loading what="tasks" />
      ) : tasks.isError ? (
        <ErrorState error={tasks.error} retry={() => tasks.refetch()} />
      ) : tasks.data.tasks.length === 0 ? (
        <div className="state">
          {status ? `No ${status} tasks.` : 'No template has been run yet.'}{' '}
          <Link to="/create">Choose a template</Link>.
        </div>
      ) : (
        <>
          <ScrollArea label="Tasks">
            <table aria-busy={tasks.isFetching} data-testid="tasks-table">
              <thead>
                <tr>
                  <th>Template</th>
                  <th>Status</th>
                  <th>Created by</th>
                  <th>Created at</th>
                  <th>Task</th>
                </tr>
              </thead>
              <tbody>
                {tasks.data.tasks.map((task) => (
                  <tr key={task.id}>
                    <td>{templateOf(task)}</td>
                    <td>
                      <span className={`badge status status-${task.status}`}>{task.status}</span>
                    </td>
                    <td>{task.createdBy ?? ''}</td>
                    <td>{formatTime(task.createdAt)}</td>
                    <td>
                      <Link to={`/create/tasks/${encodeURIComponent(task.id)}`}>
                        <code>{task.id.slice(0, 8)}</code>
                        <span className="visually-hidden"> (open the task)</span>
                      </Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollArea>
          <Pager
            label="Pages"
            page={page}
            pages={pages}
            hasPrevious={page > 1}
            hasNext={page < pages}
            onPrevious={() => set({ page: page > 2 ? String(page - 1) : undefined })}
            onNext={() => set({ page: String(page + 1) })}
          />
        </>
      )}
    </div>
  );
}

import { lazy, Suspense } from 'react';
import { definePlugin } from '../../../web/plugin-api.ts';
import { Loading } from '../../catalog/web/shared.tsx';
import { TaskPage } from './TaskPage.tsx';
import { TasksPage } from './TasksPage.tsx';
import { TemplatesPage } from './TemplatesPage.tsx';
import './scaffolder.css';

// The form library is large; only the pages with a form load it.
const LazyTemplateForm = lazy(async () => ({
  default: (await import('./TemplateFormPage.tsx')).TemplateFormPage,
}));
const LazyTemplateEditor = lazy(async () => ({
  default: (await import('./TemplateEditorPage.tsx')).TemplateEditorPage,
}));

function TemplateFormPage() {
  return (
    <Suspense fallback={<Loading what="the form" />}>
      <LazyTemplateForm />
    </Suspense>
  );
}

function TemplateEditorPage() {
  return (
    <Suspense fallback={<Loading what="the editor" />}>
      <LazyTemplateEditor />
    </Suspense>
  );
}

/** Software templates: choose one, fill in its form, watch the task run. */
export const scaffolderPlugin = definePlugin({
  id: 'scaffolder',
  routes: [
    { path: '/create', component: TemplatesPage },
    { path: '/create/templates/:namespace/:name', component: TemplateFormPage },
    { path: '/create/tasks', component: TasksPage },
    { path: '/create/tasks/:taskId', component: TaskPage },
    { path: '/create/edit', component: TemplateEditorPage },
  ],
  sidebarItems: [{ to: '/create', label: 'Create', order: 30 }],
});

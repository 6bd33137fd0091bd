/**
 * The template editor: paste a template.yaml (and optionally add its folder's files), fill in
 * the form it describes, and dry-run it: the server runs every step that supports dry runs in
 * a scratch workspace and returns the files, the log and the output, publishing nothing.
 */
import { useMutation } from '@tanstack/react-query';
import { type ChangeEvent, useEffect, useMemo, useState } from 'react';
import type { JsonObject } from '../../../model/entity.ts';
import { usePageTitle } from '../../../web/plugin-api.ts';
import type { DryRunResponse } from '../common/index.ts';
import { dryRun } from './api.ts';
import {
  base64ToBytes,
  bytesToBase64,
  decodeFile,
  fileTree,
  parseTemplateYaml,
  type TreeNode,
} from './editor-files.ts';
import { pagesOfTemplate, preparePage, secretNamesOf } from './form/prepare.ts';
import { Wizard } from './form/Wizard.tsx';
import { TaskOutputView } from './TaskOutputView.tsx';
import { SubmitErrors, serverErrorsOf } from './TemplateFormPage.tsx';
import { stripAnsi } from './task-events.ts';

const EXAMPLE = `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: editor-example
  title: Editor example
spec:
  owner: team-platform
  type: service
  parameters:
    - title: About
      required: [name, owner]
      properties:
        name:
          title: Name
          type: string
          ui:field: EntityNamePicker
        owner:
          title: Owner
          type: string
          ui:field: OwnerPicker
  steps:
    - id: write
      name: Write catalog-info.yaml
      action: catalog:write
      input:
        entity:
          apiVersion: backstage.io/v1alpha1
          kind: Component
          metadata:
            name: \${{ parameters.name }}
          spec:
            type: service
            lifecycle: experimental
            owner: \${{ parameters.owner }}
    - id: log
      name: Log
      action: debug:log
      input:
        message: Wrote \${{ parameters.name }}
  output:
    text:
      - title: Done
        content: \${{ parameters.name }} is ready.
`;

const PARSE_DELAY_MS = 300;

interface AddedFile {
  path: string;
  base64Content: string;
}

async function readFiles(list: FileList, fromFolder: boolean): Promise<AddedFile[]> {
  const files: AddedFile[] = [];
  for (const file of Array.from(list)) {
    // A folder's files carry `folder/sub/file`; paths are relative to the folder itself.
    const relative = fromFolder && file.webkitRelativePath ? file.webkitRelativePath : file.name;
    const path = fromFolder ? relative.split('/').slice(1).join('/') : relative;
    const bytes = new Uint8Array(await file.arrayBuffer());
    files.push({ path, base64Content: bytesToBase64(bytes) });
  }
  return files;
}

function Tree({
  nodes,
  selected,
  onSelect,
}: {
  nodes: TreeNode[];
  selected?: string;
  onSelect(path: string): void;
}) {
  return (
    <ul className="file-tree">
      {nodes.map((node) =>
        node.children ? (
          <li key={node.path}>
            <span className="folder">{node.name}/</span>
            <Tree nodes={node.children} selected={selected} onSelect={onSelect} />
          </li>
        ) : (
          <li key={node.path}>
            <button
              type="button"
              className="link-button"
              aria-current={selected === node.path ? 'true' : undefined}
              onClick={() => onSelect(node.path)}
            >
              {node.name}
            </button>
          </li>
        ),
      )}
    </ul>
  );
}

function DryRunResult({ result }: { result: DryRunResponse }) {
  const paths = result.directoryContents.map((f) => f.path);
  const [selected, setSelected] = useState<string | undefined>(paths[0]);
  const file = result.directoryContents.find((f) => f.path === selected);
  const content = file ? decodeFile(file.base64Content) : undefined;
  return (
    <div className="dry-run-result" data-testid="dry-run-result">
      <section className="card" aria-labelledby="dry-run-files-title">
        <h2 id="dry-run-files-title">Files ({paths.length})</h2>
        {paths.length === 0 ? (
          <p className="muted">The run left the workspace empty.</p>
        ) : (
          <div className="file-browser">
            <nav aria-label="Files">
              <Tree nodes={fileTree(paths)} selected={selected} onSelect={setSelected} />
            </nav>
            <div className="file-view">
              {file && (
                <>
                  <p className="muted">
                    <code>{file.path}</code>
                    {file.executable ? ' (executable)' : ''}
                  </p>
                  {content && 'text' in content ? (
                    <pre data-testid="file-content">{content.text}</pre>
                  ) : (
                    <p data-testid="file-content">Binary file, {content?.binary ?? 0} bytes.</p>
                  )}
                </>
              )}
            </div>
          </div>
        )}
      </section>
      <section className="card" aria-labelledby="dry-run-log-title">
        <h2 id="dry-run-log-title">Log</h2>
        <pre className="task-log" data-testid="dry-run-log">
          {result.log.map((l) => stripAnsi(String(l.body?.message ?? ''))).join('\n')}
        </pre>
      </section>
      <TaskOutputView output={result.output} />
    </div>
  );
}

export function TemplateEditorPage() {
  usePageTitle('Template editor');
  const [text, setText] = useState(EXAMPLE);
  const [parsedText, setParsedText] = useState(EXAMPLE);
  const [files, setFiles] = useState<AddedFile[]>([]);
  useEffect(() => {
    const timer = setTimeout(() => setParsedText(text), PARSE_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text]);
  const parsed = useMemo(() => parseTemplateYaml(parsedText), [parsedText]);
  const template = parsed.template;
  const parametersKey = JSON.stringify(
    (template?.spec as JsonObject | undefined)?.parameters ?? null,
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: rebuilt only when the parameters change
  const pages = useMemo(() => {
    if (!template) return [];
    const secrets = secretNamesOf(template);
    return pagesOfTemplate(template).map((p) => preparePage(p, secrets));
  }, [parametersKey]);
  const run = useMutation({
    mutationFn: (request: { values: JsonObject; secrets: Record<string, string> }) =>
      dryRun({
        template: template ?? {},
        values: request.values,
        secrets: Object.keys(request.secrets).length ? request.secrets : undefined,
        directoryContents: files,
      }),
  });

  const addFiles = async (event: ChangeEvent<HTMLInputElement>, fromFolder: boolean) => {
    const list = event.target.files;
    if (!list?.length) return;
    const added = await readFiles(list, fromFolder);
    const templateFile = added.find((f) => f.path === 'template.yaml');
    if (templateFile) {
      setText(new TextDecoder().decode(base64ToBytes(templateFile.base64Content)));
    }
    setFiles((previous) => [
      ...previous.filter((p) => !added.some((a) => a.path === p.path)),
      ...added.filter((a) => a.path !== 'template.yaml'),
    ]);
    event.target.value = '';
  };

  return (
    <div className="page template-editor">
      <h1>Template editor</h1>
      <p className="muted">
        Paste a <code>template.yaml</code>, fill in its form and dry-run it. Steps that cannot run
        without side effects (publishing, registering) are skipped; nothing is created.
      </p>
      <div className="editor-layout">
        <section className="card" aria-labelledby="editor-source-title">
          <h2 id="editor-source-title">Template</h2>
          <label htmlFor="template-yaml">template.yaml</label>
          <textarea
            id="template-yaml"
            className="yaml-input"
            spellCheck={false}
            value={text}
            aria-invalid={parsed.problems.length > 0 || undefined}
            aria-describedby="template-yaml-problems"
            onChange={(e) => setText(e.target.value)}
          />
          <div id="template-yaml-problems" aria-live="polite" data-testid="yaml-problems">
            {parsed.problems.length > 0 && (
              <ul className="plain level-error">
                {parsed.problems.map((p, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: problems have no identity
                  <li key={i}>
                    {p.line ? `line ${p.line}${p.column ? `, column ${p.column}` : ''}: ` : ''}
                    {p.message}
                  </li>
                ))}
              </ul>
            )}
          </div>
          <div className="editor-files">
            <label>
              Add files
              <input type="file" multiple onChange={(e) => void addFiles(e, false)} />
            </label>
            <label>
              Add the template's folder
              <input
                type="file"
                multiple
                {...{ webkitdirectory: '' }}
                onChange={(e) => void addFiles(e, true)}
              />
            </label>
            {files.length > 0 && (
              <p className="muted">
                {files.length} {files.length === 1 ? 'file' : 'files'} added{' '}
                <button type="button" className="link-button" onClick={() => setFiles([])}>
                  Remove all
                </button>
              </p>
            )}
          </div>
        </section>
        <section className="card" aria-labelledby="editor-form-title">
          <h2 id="editor-form-title">Form</h2>
          {template && parsed.problems.length === 0 ? (
            <Wizard
              key={parametersKey}
              pages={pages}
              submitLabel="Dry run"
              submitting={run.isPending}
              serverErrors={serverErrorsOf(run.error)}
              onSubmit={(request) => run.mutate(request)}
            />
          ) : (
            <p className="muted">The form appears when the template parses.</p>
          )}
        </section>
      </div>
      {run.isPending && <p role="status">Running…</p>}
      {run.isError && <SubmitErrors error={run.error} />}
      {run.data && !run.isPending && <DryRunResult key={run.submittedAt} result={run.data} />}
    </div>
  );
}

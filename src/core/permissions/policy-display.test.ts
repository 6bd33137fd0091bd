import { join, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { displayFile, displayProblem, formatSource } from './policy-model.ts';

describe('policy files as people see them', () => {
  it('names a file below the working directory relatively, others as configured', () => {
    expect(displayFile(join(process.cwd(), 'examples', 'policy.yaml'))).toBe(
      join('examples', 'policy.yaml'),
    );
    expect(displayFile('/etc/atrium/policy.yaml')).toBe('/etc/atrium/policy.yaml');
    // A sibling folder whose name starts like the working directory is not below it.
    expect(displayFile(`${process.cwd()}-old${sep}policy.yaml`)).toBe(
      `${process.cwd()}-old${sep}policy.yaml`,
    );
    expect(displayFile('database')).toBe('database');
    expect(formatSource({ file: join(process.cwd(), 'policy.yaml'), line: 3 })).toBe(
      'policy.yaml:3',
    );
  });

  it('takes the working directory out of a problem’s file and message', () => {
    const file = join(process.cwd(), 'examples', 'rbac.csv');
    expect(
      displayProblem({
        file,
        line: 4,
        message: `ENOENT: no such file or directory, open '${file}'`,
        severity: 'warning',
      }),
    ).toEqual({
      file: join('examples', 'rbac.csv'),
      line: 4,
      message: `ENOENT: no such file or directory, open '${join('examples', 'rbac.csv')}'`,
      severity: 'warning',
    });
  });
});

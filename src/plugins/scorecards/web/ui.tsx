/** Small pieces every scorecard view uses: level badges, check statuses, bars, states. */
import type { CSSProperties, ReactNode } from 'react';
import type { CheckStatus } from '../common/types.ts';
import type { Distribution } from './api.ts';
import {
  describeDistribution,
  distributionKeys,
  distributionTotal,
  levelHue,
  levelLabel,
  linkify,
  NO_LEVEL,
  percent,
  rankOf,
} from './format.ts';

/** The CSS variable a level's colour is made from (see scorecards.css). */
export function hueStyle(rank: number, levels: number): CSSProperties | undefined {
  const hue = levelHue(rank, levels);
  return hue === undefined ? undefined : ({ '--sc-hue': hue } as CSSProperties);
}

/** A level as a coloured pill; "No level" in grey. */
export function LevelBadge({
  level,
  levels,
  prefix,
}: {
  level: string | null;
  levels: readonly string[];
  /** Read before the level when the badge alone would be ambiguous ("Production readiness"). */
  prefix?: string;
}) {
  const rank = rankOf(levels, level);
  return (
    <span
      className="sc-level"
      data-rank={rank}
      style={hueStyle(rank, levels.length)}
      title={prefix ? `${prefix}: ${levelLabel(level)}` : undefined}
    >
      {prefix && <span className="visually-hidden">{prefix}: </span>}
      {levelLabel(level)}
    </span>
  );
}

const STATUS_TEXT: Record<CheckStatus, { symbol: string; text: string }> = {
  passed: { symbol: '✓', text: 'Passed' },
  failed: { symbol: '✗', text: 'Failed' },
  unknown: { symbol: '?', text: 'Unknown' },
};

/** A check's status, as a symbol and a word (colour is never the only sign). */
export function StatusBadge({ status }: { status: CheckStatus }) {
  const { symbol, text } = STATUS_TEXT[status];
  return (
    <span className={`sc-status sc-status-${status}`}>
      <span aria-hidden="true">{symbol}</span> {text}
    </span>
  );
}

/** One horizontal bar split by level, with the counts as its accessible name. */
export function DistributionBar({
  levels,
  distribution,
  label,
}: {
  levels: readonly string[];
  distribution: Distribution;
  label?: string;
}) {
  const total = distributionTotal(distribution);
  const text = `${label ? `${label}: ` : ''}${describeDistribution(levels, distribution)}`;
  return (
    <div className="sc-bar" role="img" aria-label={text} title={text}>
      {total > 0 &&
        distributionKeys(levels).map((key) => {
          const n = distribution[key] ?? 0;
          if (!n) return null;
          const rank = key === NO_LEVEL ? 0 : rankOf(levels, key);
          return (
            <span
              key={key}
              className="sc-bar-part"
              data-rank={rank}
              style={{ ...hueStyle(rank, levels.length), flexGrow: n }}
            />
          );
        })}
    </div>
  );
}

/** Level names with their colours and counts, under a bar or a chart. */
export function Legend({
  levels,
  distribution,
  link,
}: {
  levels: readonly string[];
  distribution?: Distribution;
  /** Where a level's entry leads (e.g. the explorer filtered by it). */
  link?: (key: string) => ReactNode;
}) {
  return (
    <ul className="sc-legend">
      {distributionKeys(levels).map((key) => {
        const rank = key === NO_LEVEL ? 0 : rankOf(levels, key);
        const name = levelLabel(key);
        return (
          <li key={key}>
            <span
              className="sc-swatch"
              data-rank={rank}
              style={hueStyle(rank, levels.length)}
              aria-hidden="true"
            />
            {link ? link(key) : name}
            {distribution && <span className="muted"> {distribution[key] ?? 0}</span>}
          </li>
        );
      })}
    </ul>
  );
}

/** A pass rate as a number and a thin bar. */
export function RateBar({ rate, label }: { rate: number; label: string }) {
  return (
    <span className="sc-rate">
      <meter min={0} max={1} value={rate} aria-label={label} />
      <span>{percent(rate)}</span>
    </span>
  );
}

/** Text from YAML as text: http(s) URLs become links, nothing else is interpreted. */
export function PlainText({ text }: { text: string }) {
  return (
    <>
      {linkify(text).map((part, i) =>
        part.href ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: parts of one fixed text
          <a key={i} href={part.href} target="_blank" rel="noopener noreferrer">
            {part.text}
          </a>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: parts of one fixed text
          <span key={i}>{part.text}</span>
        ),
      )}
    </>
  );
}

import { useId } from 'react';
import type { TrendDay } from './api.ts';
import { DEFAULT_BOX, describeTrend, stackedAreas } from './chart.ts';
import { distributionKeys, formatDay, levelLabel, NO_LEVEL, rankOf } from './format.ts';
import { hueStyle, Legend } from './ui.tsx';
import { ScrollArea } from '../../../web/plugin-api.ts';

/**
 * Level counts over time as stacked areas, drawn as inline SVG. The SVG is an image with a
 * title and a one-sentence description; the same numbers are in a table below it for screen
 * readers and for anyone who wants the figures.
 */
export function TrendChart({
  days,
  levels,
  title,
}: {
  days: TrendDay[];
  levels: string[];
  title: string;
}) {
  const id = useId();
  const box = DEFAULT_BOX;
  const chart = stackedAreas(days, levels, box);
  const description = describeTrend(days, levels);
  const keys = distributionKeys(levels);
  return (
    <figure className="sc-trend" data-testid="trend-chart">
      <svg
        viewBox={`0 0 ${box.width} ${box.height}`}
        role="img"
        aria-labelledby={`${id}-title ${id}-desc`}
        preserveAspectRatio="xMidYMid meet"
      >
        <title id={`${id}-title`}>{title}</title>
        <desc id={`${id}-desc`}>{description}</desc>
        <g className="sc-axis">
          {chart.yTicks.map((t) => (
            <g key={`y${t.value}`}>
              <line x1={box.left} x2={box.width - box.right} y1={t.at} y2={t.at} />
              <text x={box.left - 6} y={t.at} dy="0.32em" textAnchor="end">
                {t.label}
              </text>
            </g>
          ))}
          {chart.xTicks.map((t, i) => (
            <text
              key={`x${t.value}`}
              x={t.at}
              y={box.height - 8}
              textAnchor={
                chart.xTicks.length === 1
                  ? 'middle'
                  : i === 0
                    ? 'start'
                    : i === chart.xTicks.length - 1
                      ? 'end'
                      : 'middle'
              }
            >
              {shortDay(t.label)}
            </text>
          ))}
        </g>
        {chart.series.map((s) => {
          const rank = s.key === NO_LEVEL ? 0 : rankOf(levels, s.key);
          return (
            <g
              key={s.key}
              className="sc-area"
              data-rank={rank}
              style={hueStyle(rank, levels.length)}
            >
              <path d={s.path} />
              <path className="sc-area-line" d={s.line} />
            </g>
          );
        })}
      </svg>
      <figcaption>
        <Legend levels={levels} />
        <p className="muted sc-trend-summary">{description}</p>
      </figcaption>
      <details className="sc-trend-table">
        <summary>Show the figures as a table</summary>
        <ScrollArea label={`${title}, entities per level and day`}>
          <table>
            <caption className="visually-hidden">{title}, entities per level and day</caption>
            <thead>
              <tr>
                <th scope="col">Day</th>
                {keys.map((k) => (
                  <th key={k} scope="col">
                    {levelLabel(k)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {[...days].reverse().map((d) => (
                <tr key={d.day}>
                  <th scope="row">{formatDay(d.day)}</th>
                  {keys.map((k) => (
                    <td key={k}>{d.distribution[k] ?? 0}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollArea>
      </details>
    </figure>
  );
}

/** `2026-12-06` -> `6 Dec`: axis labels leave the year to the table. */
function shortDay(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return day;
  return date.toLocaleDateString(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });
}

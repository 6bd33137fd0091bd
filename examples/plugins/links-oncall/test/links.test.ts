import type { Entity } from '@atrium/plugin-api';
import { describe, expect, it } from 'vitest';
import { linksAndOnCall } from '../src/links.ts';

const entity = (metadata: Partial<Entity['metadata']>): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'booking-service', ...metadata },
  spec: {},
});

describe('links and on-call of an entity', () => {
  it('reads the on-call annotation, the escalation channel and metadata.links', () => {
    const card = linksAndOnCall(
      entity({
        annotations: {
          'atrium.io/on-call': 'https://oncall.example.com/booking',
          'atrium.io/escalation-channel': '#booking-oncall',
        },
        links: [{ url: 'https://grafana.example.com/d/booking', title: 'Dashboard' }],
      }),
      'component:default/booking-service',
      '#ops',
    );
    expect(card).toEqual({
      entityRef: 'component:default/booking-service',
      onCall: 'https://oncall.example.com/booking',
      escalation: { channel: '#booking-oncall', from: 'annotation' },
      links: [{ url: 'https://grafana.example.com/d/booking', title: 'Dashboard' }],
      problems: [],
    });
  });

  it('falls back to the configured channel, and says which links it leaves out', () => {
    const card = linksAndOnCall(
      entity({
        annotations: { 'atrium.io/on-call': 'pagerduty' },
        links: [{ url: 'javascript:alert(1)', title: 'Bad' }, { url: 'mailto:team@example.com' }],
      }),
      'component:default/booking-service',
      '#ops',
    );
    expect(card.escalation).toEqual({ channel: '#ops', from: 'config' });
    expect(card.onCall).toBeNull();
    expect(card.links).toEqual([
      { url: 'mailto:team@example.com', title: 'mailto:team@example.com' },
    ]);
    expect(card.problems).toEqual([
      "annotation atrium.io/on-call: must be an http(s) URL, got 'pagerduty'",
      'metadata.links[0].url: only http, https and mailto links are shown',
    ]);
  });
});

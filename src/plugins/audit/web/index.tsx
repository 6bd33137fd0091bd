import { definePlugin } from '../../../web/plugin-api.ts';
import { AuditPage } from './AuditPage.tsx';
import './audit.css';

/** The audit log page: who changed what, when, from where; readable with `audit.event.read`. */
export const auditPlugin = definePlugin({
  id: 'audit',
  routes: [{ path: '/audit', component: AuditPage }],
  sidebarItems: [{ to: '/audit', label: 'Audit log', order: 90 }],
});

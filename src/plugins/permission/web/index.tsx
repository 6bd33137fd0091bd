import { definePlugin } from '../../../web/plugin-api.ts';
import { POLICY_READ_PERMISSION } from '../common/index.ts';
import { AccessPage } from './AccessPage.tsx';
import './access.css';

/** Access control's administration page, listed for those who may read the policy. */
export const permissionPlugin = definePlugin({
  id: 'permission',
  routes: [{ path: '/admin/access', component: AccessPage }],
  sidebarItems: [
    { to: '/admin/access', label: 'Access control', order: 95, permission: POLICY_READ_PERMISSION },
  ],
});

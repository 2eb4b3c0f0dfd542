// Checkpoints & lanes: the checkpoints and their settings with one-time lane enrollment codes,
// and the fleet of lanes (both panels in panels/checkpoints/).
import { t } from '../i18n.js';
import { CheckpointsPanel } from '../panels/checkpoints/checkpoints-panel.js';
import { LanesPanel } from '../panels/checkpoints/lanes-panel.js';

/** The checkpoints & lanes page. */
export function CheckpointsPage() {
  return (
    <div class="page">
      <h1>{t('navCheckpoints')}</h1>
      <CheckpointsPanel />
      <LanesPanel />
    </div>
  );
}

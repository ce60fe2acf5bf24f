// kind.cluster-pause: the region's kind cluster freezes (docker pause): connections hang instead
// of being refused, like a region that is slow rather than down. Unpaused on rollback.
import { kindFault } from './docker.js';

export const clusterPause = kindFault('pause', 'Freezes the node containers of the region\'s kind cluster (docker pause); docker unpause on rollback.');

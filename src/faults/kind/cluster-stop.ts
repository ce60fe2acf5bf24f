// kind.cluster-stop: the whole kind cluster of a region goes away (docker stop of its nodes), the
// closest a laptop gets to losing a region's data centre. Restarted on rollback.
import { kindFault } from './docker.js';

export const clusterStop = kindFault('stop', 'Stops the node containers of the region\'s kind cluster (docker stop); docker start on rollback.');

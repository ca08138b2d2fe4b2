/**
 * The container runtime as volume commands see it (ops/volume-quiesce.ts ContainerControl, built
 * by ops/container-control.ts from the runtime's lifecycle functions): the one place where
 * `volume snapshot`, `restore` and `rm` get their way to ask a container's state, pause, stop,
 * start and exec. Loaded only when a volume command needs it.
 */
import type { ContainerControl } from '../../ops/volume-quiesce.js';
import type { Cli } from '../command.js';

export async function containerControl(cli: Cli): Promise<ContainerControl> {
  const { containerControl: forRoot } = await import('../../ops/container-control.js');
  return forRoot(cli.root);
}

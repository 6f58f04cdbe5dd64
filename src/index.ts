export * from './core/capacity';
export * from './core/cluster';
export * from './core/container-options';
export * from './core/volumes';

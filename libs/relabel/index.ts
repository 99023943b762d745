// Public face of libs/relabel: Prometheus relabel_config validation and processing.
export {
  RELABEL_DEFAULTS,
  RelabelAction,
  RelabelConfigError,
  RelabelRegex,
  expandTemplate,
  hashMod,
  newRelabelConfig,
  newRelabelConfigs,
  relabel,
  relabelConfigInputSchema,
  relabelConfigsSchema,
} from './relabel.ts';
export type { RelabelConfig, RelabelConfigInput } from './relabel.ts';

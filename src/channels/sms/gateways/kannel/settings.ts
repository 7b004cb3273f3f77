// Kannel gateway settings (read only when QUN_SMS_GATEWAY=kannel).
import type { Setting } from '../../../../config/setting.ts';

export const KANNEL_SETTINGS: Record<string, Setting> = {};

// core/db/migrations/migration.ts — the shape of one migration; core/db/migrations.ts lists them in order.
import type { Knex } from 'knex';

export interface Migration { name: string; up(knex: Knex): Promise<void>; down(knex: Knex): Promise<void> }

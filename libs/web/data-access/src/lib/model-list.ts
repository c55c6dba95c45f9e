import { computed, DestroyRef, inject, Signal, signal, WritableSignal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';

import { ModelInfo, ProblemDetails } from '@imagegen/contracts';
import { pickableModels } from '@imagegen/web/util-jobs';

import { GenerationsApi } from './generations-api';
import { problemFrom } from './problem-messages';

/** The models a page offers (create, compare), read from the BFF for as long as the page lives. */
export interface ModelList {
  /** Every model the BFF lists, retired ones too; empty until the list arrives. */
  readonly all: Signal<readonly ModelInfo[]>;
  /** What a picker lists: every model but the retired (unavailable ones stay, disabled, with why). */
  readonly pickable: Signal<readonly ModelInfo[]>;
  /** A model of the list by id (undefined until the list arrives, or when it has no such model). */
  find(id: string | undefined): ModelInfo | undefined;
  /**
   * Reads the list (call it from ngOnInit): `loaded` gets it, to pick the page's defaults; a failure
   * goes into the page's `problem`, the one its banner shows.
   */
  load(
    problem: WritableSignal<ProblemDetails | undefined>,
    loaded?: (models: readonly ModelInfo[]) => void,
  ): void;
}

/** The model list of the page (or component) being created: call it in a field initializer. */
export function injectModelList(): ModelList {
  const api = inject(GenerationsApi);
  const destroyRef = inject(DestroyRef);
  const all = signal<readonly ModelInfo[]>([]);
  return {
    all: all.asReadonly(),
    pickable: computed(() => pickableModels(all())),
    find: (id) => all().find((m) => m.id === id),
    load: (problem, loaded) => {
      api
        .models()
        .pipe(takeUntilDestroyed(destroyRef))
        .subscribe({
          next: (models) => {
            all.set(models);
            loaded?.(models);
          },
          error: (err: unknown) => problem.set(problemFrom(err)),
        });
    },
  };
}

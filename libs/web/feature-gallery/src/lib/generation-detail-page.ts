import {
  ChangeDetectionStrategy,
  Component,
  computed,
  DestroyRef,
  effect,
  inject,
  input,
  signal,
  untracked,
} from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { Router, RouterLink } from '@angular/router';
import { interval, Subscription, timer } from 'rxjs';

import {
  catalogEta,
  ErrorCode,
  findModel,
  GeneratedImage,
  Generation,
  GENERATION_ID_PATTERN,
  isTerminal,
  ModelInfo,
  problem,
  ProblemDetails,
} from '@imagegen/contracts';
import {
  downloadName,
  FollowProblem,
  FreshLinks,
  GenerationsApi,
  problemFrom,
  problemMessage,
  saveImage,
} from '@imagegen/web/data-access';
import { GenerationView, ProblemBanner } from '@imagegen/web/ui';
import {
  etaOf,
  formatDateTime,
  formatDay,
  formatTime,
  formatUsd,
  jobTiming,
  LINK_REFRESH_MARGIN_MS,
  linksExpireAt,
  UNKNOWN_JOB_TIMING,
} from '@imagegen/web/util-jobs';

/** Never re-read a job for its links more often than this, whatever the expiry says. */
const MIN_LINK_REFRESH_MS = 30_000;

/**
 * One job in full (/gallery/:id): its images by index, prompt, parameters, model, seeds, sizes, time,
 * estimated and real cost, where the images came from, what failed, how long it is kept; and the actions.
 * Its links are re-read before they expire, so the page can stay open.
 */
@Component({
  selector: 'ig-generation-detail-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MatButtonModule, RouterLink, GenerationView, ProblemBanner],
  templateUrl: './generation-detail-page.html',
  styleUrl: './generation-detail-page.scss',
})
export default class GenerationDetailPage {
  /** The job id, from the route (`/gallery/:id`). */
  readonly id = input.required<string>();

  private readonly api = inject(GenerationsApi);
  private readonly links = inject(FreshLinks);
  private readonly router = inject(Router);
  private readonly destroyRef = inject(DestroyRef);
  private following?: Subscription;
  private ticker?: Subscription;
  private linkTimer?: Subscription;
  private readonly retried = new Set<string>();

  protected readonly job = signal<Generation | undefined>(undefined);
  protected readonly models = signal<ModelInfo[]>([]);
  protected readonly problem = signal<ProblemDetails | undefined>(undefined);
  protected readonly notice = signal('');
  protected readonly elapsed = signal(0);
  protected readonly busy = signal(false);

  protected readonly message = problemMessage(this.problem);
  protected readonly model = computed(() => {
    const job = this.job();
    return job ? findModel(job.modelId) : undefined;
  });
  protected readonly modelName = computed(() => this.model()?.displayName ?? this.job()?.modelId ?? '');
  protected readonly running = computed(() => {
    const job = this.job();
    return !!job && !isTerminal(job.status);
  });
  protected readonly timing = computed(() => {
    const job = this.job();
    if (!job) return UNKNOWN_JOB_TIMING;
    const info = this.models().find((m) => m.id === job.modelId);
    const catalog = this.model();
    const eta = info ? etaOf(info) : catalog ? catalogEta(catalog, 1) : undefined;
    return eta ? jobTiming(eta, job.request.count) : UNKNOWN_JOB_TIMING;
  });
  protected readonly seeds = computed(() => {
    const job = this.job();
    if (!job) return '';
    if (job.request.seed !== undefined) return String(job.request.seed);
    const seeds = [...job.images].sort((a, b) => a.index - b.index).map((i) => i.seed);
    return seeds.length > 0 ? `${seeds.join(', ')} (random)` : 'random';
  });
  protected readonly usd = formatUsd;
  protected readonly day = formatDay;
  protected readonly dateTime = formatDateTime;

  constructor() {
    effect(() => {
      const id = this.id();
      untracked(() => this.load(id));
    });
    this.destroyRef.onDestroy(() => this.stop());
  }

  private load(id: string): void {
    this.stop();
    this.job.set(undefined);
    this.problem.set(undefined);
    this.notice.set('');
    if (!GENERATION_ID_PATTERN.test(id)) {
      this.problem.set(problem(ErrorCode.NOT_FOUND));
      return;
    }
    this.api.get(id).subscribe({
      next: (job) => this.show(job),
      error: (err: unknown) => this.problem.set(problemFrom(err)),
    });
  }

  private show(job: Generation): void {
    if (job.id !== this.id()) return;
    this.job.set(job);
    this.scheduleLinkRefresh(job);
    if (isTerminal(job.status)) {
      this.ticker?.unsubscribe();
      return;
    }
    if (!this.following || this.following.closed) this.follow(job);
  }

  /** Live status while the job runs: the stream, a ticking clock, and the model's ETA for the progress bar. */
  private follow(job: Generation): void {
    if (this.models().length === 0)
      this.api.models().subscribe({ next: (models) => this.models.set(models), error: () => undefined });
    const tick = () =>
      this.elapsed.set(Math.max(0, Math.round((Date.now() - Date.parse(job.createdAt)) / 1000)));
    tick();
    this.ticker?.unsubscribe();
    this.ticker = interval(1000).subscribe(tick);
    this.following = this.api.follow(job.id).subscribe({
      next: (next) => this.show(next),
      error: (err: unknown) =>
        this.problem.set(err instanceof FollowProblem ? err.problem : problemFrom(err)),
    });
  }

  /** Reads the job again shortly before its links expire, so every link on the page stays live. */
  private scheduleLinkRefresh(job: Generation): void {
    this.linkTimer?.unsubscribe();
    const at = linksExpireAt(job);
    if (at === undefined) return;
    const delay = Math.max(MIN_LINK_REFRESH_MS, at - LINK_REFRESH_MARGIN_MS - Date.now());
    this.linkTimer = timer(delay).subscribe(() => this.reread(job.id));
  }

  private reread(id: string): void {
    this.links.reread(id).subscribe({ next: (fresh) => this.adopt(fresh), error: () => undefined });
  }

  /** A re-read job replaces the shown one unless it is older news (the stream may be ahead). */
  private adopt(fresh: Generation): void {
    const current = this.job();
    if (!current || current.id !== fresh.id) return;
    if (isTerminal(current.status) && !isTerminal(fresh.status)) return;
    this.show(fresh);
  }

  private stop(): void {
    this.following?.unsubscribe();
    this.following = undefined;
    this.ticker?.unsubscribe();
    this.linkTimer?.unsubscribe();
  }

  protected imageFailed(image: GeneratedImage): void {
    const job = this.job();
    if (!job || this.retried.has(image.url)) return;
    this.retried.add(image.url);
    this.reread(job.id);
  }

  /** Download and copy link always use a live link (the job is read again first when they are about to expire). */
  protected download(image: GeneratedImage): void {
    this.withLive(image, (job, live) =>
      saveImage(live.url, downloadName(job.request.prompt, live)).catch((err: unknown) =>
        this.problem.set(problemFrom(err)),
      ),
    );
  }

  protected copyLink(image: GeneratedImage): void {
    this.withLive(image, (_job, live) => this.copy(live));
  }

  private withLive(image: GeneratedImage, use: (job: Generation, live: GeneratedImage) => void): void {
    const job = this.job();
    if (!job) return;
    this.links.ensure(job).subscribe({
      next: (fresh) => {
        if (fresh !== job) this.adopt(fresh);
        use(fresh, fresh.images.find((i) => i.id === image.id) ?? image);
      },
      error: (err: unknown) => this.problem.set(problemFrom(err)),
    });
  }

  private async copy(image: GeneratedImage): Promise<void> {
    const until = formatTime(image.urlExpiresAt);
    try {
      await navigator.clipboard.writeText(image.url);
      this.notice.set(`Link to image ${image.index + 1} copied: it works until ${until}.`);
    } catch {
      this.notice.set(`Copy this link (it works until ${until}): ${image.url}`);
    }
  }

  protected cancel(): void {
    const job = this.job();
    if (!job) return;
    this.busy.set(true);
    this.api.cancel(job.id).subscribe({
      next: (fresh) => {
        this.busy.set(false);
        this.notice.set('Cancelled.');
        this.show(fresh);
      },
      error: (err: unknown) => {
        this.busy.set(false);
        this.problem.set(problemFrom(err));
      },
    });
  }

  protected remove(): void {
    const job = this.job();
    if (!job) return;
    if (!confirm(`Delete “${job.request.prompt.slice(0, 60)}” and its images? This cannot be undone.`))
      return;
    this.busy.set(true);
    this.api.remove(job.id).subscribe({
      next: () => {
        this.stop();
        void this.router.navigate(['/gallery']);
      },
      error: (err: unknown) => {
        this.busy.set(false);
        this.problem.set(problemFrom(err));
      },
    });
  }
}

import { ValidationError, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import { Logger } from 'nestjs-pino';
import type { Logger as PinoLogger } from 'pino';

import { GeneratorClient } from '@imagegen/bff/data-access-generator';
import type { TextStreamPort } from '@imagegen/bff/feature-assistant';
import { PROBLEM_SCHEMA } from '@imagegen/bff/feature-generations';
import {
  AlbOidcVerifier,
  anonymousOwner,
  answerClientErrorsAsProblems,
  GracefulShutdown,
  jsonBodyOnly,
  ProblemDetailsFilter,
  requestMetrics,
  sameOriginWrites,
  securityHeaders,
  signedInOwner,
  viewerProtocol,
} from '@imagegen/bff/util-http';
import { ERROR_CODES, ErrorCode, ProblemError, toFieldErrors, validationProblem } from '@imagegen/contracts';
import { createLogger } from '@imagegen/shared/util-logging';

import { accessLog } from './access-log';
import { AppModule } from './app.module';
import { BffConfig } from './bff-config';

export const API_PREFIX = 'api';
const DOCS_PATH = `${API_PREFIX}/docs`;
/**
 * The routes the owner middleware runs for: those that act for an owner, and `models`, which every
 * page asks for first, so a new browser has its owner cookie before it sends a job (jobs sent at
 * once by a browser without one, as the compare page does, would each get an owner of their own).
 */
const OWNER_ROUTES = ['generations', 'edits', 'uploads', 'summary', 'models', 'assistant'].map(
  (route) => `/${API_PREFIX}/${route}`,
);

export interface BffDeps {
  /** Tests swap the generator client. */
  readonly generator?: GeneratorClient;
  /** Tests swap the prompt assistant's text model. */
  readonly textStream?: TextStreamPort;
  /** Tests pass a verifier with a key made in the test. */
  readonly oidc?: AlbOidcVerifier;
  readonly logger?: PinoLogger;
  /** main.ts passes the one it installs on the signals; else one with the configured deadline. */
  readonly shutdown?: GracefulShutdown;
}

export interface BffApp {
  readonly app: NestExpressApplication;
  readonly shutdown: GracefulShutdown;
}

/** Builds the whole BFF (middleware, validation, errors, OpenAPI) without listening: main.ts and the tests share it. */
export async function createBffApp(config: BffConfig, deps: BffDeps = {}): Promise<BffApp> {
  const logger = deps.logger ?? createLogger({ service: 'bff', level: config.LOG_LEVEL });
  const shutdown =
    deps.shutdown ?? new GracefulShutdown({ deadlineMs: config.SHUTDOWN_DEADLINE_MS, log: logger });
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.register(config, {
      logger,
      draining: shutdown.draining,
      generator: deps.generator,
      ...(deps.textStream ? { textStream: deps.textStream } : {}),
    }),
    {
      bufferLogs: true,
      bodyParser: false,
    },
  );
  app.useLogger(app.get(Logger));
  // The ALB (and CloudFront before it): X-Forwarded-Proto tells whether the browser used HTTPS, X-Forwarded-For who it is.
  app.set('trust proxy', config.TRUST_PROXY_HOPS);
  app.disable('x-powered-by');
  app.set('etag', false); // answers are no-store: an ETag would only turn `If-None-Match: *` into a 304
  answerClientErrorsAsProblems(app.getHttpServer());
  // Order matters: request id and access log first, so that every answer below carries them.
  app.use(accessLog(logger));
  app.use(`/${API_PREFIX}`, requestMetrics(logger));
  app.use(viewerProtocol(config.PUBLIC_ORIGIN));
  app.use(securityHeaders(`/${DOCS_PATH}`));
  app.use(shutdown.middleware);
  // Before any owner is looked up or made: a page of another site cannot act with a visitor's cookie.
  app.use(`/${API_PREFIX}`, sameOriginWrites(config.PUBLIC_ORIGIN));
  app.use(cookieParser(config.COOKIE_SECRET));
  // Owner: the ALB's signed-in user when the ALB authenticates, else an anonymous cookie owner.
  const { OIDC_ALB_ARN: albArn, OIDC_ISSUER: issuer, OIDC_CLIENT_ID: clientId } = config;
  const verifier =
    deps.oidc ??
    (albArn && issuer && clientId ? new AlbOidcVerifier({ albArn, issuer, clientId }) : undefined);
  app.use(OWNER_ROUTES, verifier ? signedInOwner(verifier) : anonymousOwner);
  app.use(`/${API_PREFIX}`, jsonBodyOnly(config.BODY_LIMIT));
  app.setGlobalPrefix(API_PREFIX);
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      forbidUnknownValues: true,
      exceptionFactory: (errors: ValidationError[]) =>
        new ProblemError(validationProblem(toFieldErrors(errors))),
    }),
  );
  app.useGlobalFilters(new ProblemDetailsFilter());

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('imagegen BFF')
      .setDescription(
        'Text-to-image and image-editing jobs on Amazon Bedrock (images are uploaded straight to S3 with a presigned POST, never through this API). Errors are application/problem+json with a stable `code`. ' +
          `Every route but /api/health and /api/ready is rate limited per client address and per owner (${ERROR_CODES.RATE_LIMITED.status} ${ErrorCode.RATE_LIMITED} with Retry-After); ` +
          `while the server restarts, requests get ${ERROR_CODES.SERVICE_UNAVAILABLE.status} ${ErrorCode.SERVICE_UNAVAILABLE} with Retry-After: try again.`,
      )
      .setVersion('1')
      .build(),
  );
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ProblemDetails: PROBLEM_SCHEMA as never },
  };
  SwaggerModule.setup(DOCS_PATH, app, document, { jsonDocumentUrl: `${DOCS_PATH}-json` });
  return { app, shutdown };
}

import { ValidationError, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import { Logger } from 'nestjs-pino';

import { GeneratorClient } from '@imagegen/bff/data-access-generator';
import { PROBLEM_SCHEMA } from '@imagegen/bff/feature-generations';
import { AlbOidcVerifier, ProblemDetailsFilter, anonymousOwner, jsonBodyOnly, securityHeaders, signedInOwner } from '@imagegen/bff/util-http';
import { ProblemError, toFieldErrors, validationProblem } from '@imagegen/contracts';

import { AppModule } from './app.module';
import { BffConfig } from './bff-config';

export const API_PREFIX = 'api';
const DOCS_PATH = `${API_PREFIX}/docs`;

/** Builds the whole BFF (middleware, validation, errors, OpenAPI) without listening: main.ts and the tests share it. */
export async function createBffApp(config: BffConfig, generator?: GeneratorClient, oidc?: AlbOidcVerifier): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config, generator), { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  app.set('trust proxy', 1); // the ALB: X-Forwarded-Proto tells whether the browser used HTTPS
  app.disable('x-powered-by');
  app.use(securityHeaders(`/${DOCS_PATH}`));
  app.use(cookieParser(config.COOKIE_SECRET));
  // Owner: the ALB's signed-in user when the ALB authenticates, else an anonymous cookie owner.
  const albArn = config.OIDC_ALB_ARN;
  const verifier = oidc ?? (albArn ? new AlbOidcVerifier({ region: albArn.split(':')[3] ?? '', albArn }) : undefined);
  app.use(`/${API_PREFIX}/generations`, verifier ? signedInOwner(verifier) : anonymousOwner);
  app.use(`/${API_PREFIX}`, jsonBodyOnly(config.BODY_LIMIT));
  app.setGlobalPrefix(API_PREFIX);
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      forbidUnknownValues: true,
      exceptionFactory: (errors: ValidationError[]) => new ProblemError(validationProblem(toFieldErrors(errors))),
    }),
  );
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.enableShutdownHooks();

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('imagegen BFF')
      .setDescription('Text-to-image jobs on Amazon Bedrock. Errors are application/problem+json with a stable `code`.')
      .setVersion('1')
      .build(),
  );
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ProblemDetails: PROBLEM_SCHEMA as never } };
  SwaggerModule.setup(DOCS_PATH, app, document, { jsonDocumentUrl: `${DOCS_PATH}-json` });
  return app;
}

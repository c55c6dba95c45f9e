import { Body, Controller, Get, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';

import { CreatesJob, CreatesUpload, OwnerId, RequestId } from '@imagegen/bff/util-http';
import { Generation, ServiceInfo, UploadedImage, UploadTicket } from '@imagegen/contracts';

import { EditsService } from './edits.service';
import {
  CREATE_UPLOAD_REQUEST_SCHEMA,
  EDIT_IMAGE_REQUEST_SCHEMA,
  GENERATION_SCHEMA,
  PROBLEM_RESPONSES,
  SERVICE_INFO_SCHEMA,
  UPLOAD_TICKET_SCHEMA,
  UPLOADED_IMAGE_SCHEMA,
} from './openapi';
import { ServicesService } from './services.service';

@ApiTags('edits')
@ApiResponse(PROBLEM_RESPONSES.rateLimited)
@ApiResponse(PROBLEM_RESPONSES.restarting)
@ApiResponse(PROBLEM_RESPONSES.crossOrigin)
@Controller('uploads')
export class UploadsController {
  constructor(private readonly edits: EditsService) {}

  @Post()
  @HttpCode(201)
  @CreatesUpload()
  @ApiOperation({
    summary:
      'An upload ticket: a presigned POST the browser sends the image to, straight to S3 (fields first, the file last), within minutes',
  })
  @ApiBody({ schema: CREATE_UPLOAD_REQUEST_SCHEMA as never })
  @ApiResponse({ status: 201, schema: UPLOAD_TICKET_SCHEMA as never })
  @ApiResponse(PROBLEM_RESPONSES.invalid)
  @ApiResponse(PROBLEM_RESPONSES.uploadTooLarge)
  @ApiResponse(PROBLEM_RESPONSES.uploadType)
  create(
    @OwnerId() ownerId: string,
    @RequestId() requestId: string,
    @Body() body: unknown,
  ): Promise<UploadTicket> {
    return this.edits.createUpload(ownerId, requestId, body);
  }

  @Post(':id/check')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Checks an uploaded image (decoded: JPEG, PNG or WebP, not animated, not a bomb): ready to edit, or refused and deleted',
  })
  @ApiResponse({ status: 200, schema: UPLOADED_IMAGE_SCHEMA as never })
  @ApiResponse(PROBLEM_RESPONSES.inputImage)
  @ApiResponse(PROBLEM_RESPONSES.uploadNotFound)
  check(
    @OwnerId() ownerId: string,
    @RequestId() requestId: string,
    @Param('id') id: string,
  ): Promise<UploadedImage> {
    return this.edits.checkUpload(ownerId, id, requestId);
  }
}

@ApiTags('edits')
@ApiResponse(PROBLEM_RESPONSES.rateLimited)
@ApiResponse(PROBLEM_RESPONSES.restarting)
@Controller('edits')
export class EditsController {
  constructor(private readonly edits: EditsService) {}

  @Post()
  @ApiResponse(PROBLEM_RESPONSES.crossOrigin)
  @HttpCode(202)
  @CreatesJob()
  @ApiOperation({
    summary:
      "Start an edit job on an upload or a generated image of the owner's (answers at once with the queued job, as POST /generations)",
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: '8 to 128 letters, digits, - or _: a retry with the same key and body answers the first job',
  })
  @ApiBody({ schema: EDIT_IMAGE_REQUEST_SCHEMA as never })
  @ApiResponse({ status: 202, schema: GENERATION_SCHEMA as never })
  @ApiResponse(PROBLEM_RESPONSES.invalid)
  @ApiResponse(PROBLEM_RESPONSES.inputNotFound)
  @ApiResponse(PROBLEM_RESPONSES.jobRefused)
  create(
    @OwnerId() ownerId: string,
    @RequestId() requestId: string,
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<Generation> {
    return this.edits.create(ownerId, requestId, body, idempotencyKey);
  }
}

@ApiTags('edits')
@Controller('services')
export class ServicesController {
  constructor(private readonly services: ServicesService) {}

  @Get()
  @ApiOperation({
    summary:
      'Image Services: the expected time of one image of each, measured on recent edits once enough ran, else the catalog’s',
  })
  @ApiResponse({ status: 200, schema: { type: 'array', items: SERVICE_INFO_SCHEMA } as never })
  @ApiResponse(PROBLEM_RESPONSES.rateLimited)
  list(@RequestId() requestId: string): Promise<readonly ServiceInfo[]> {
    return this.services.list(requestId);
  }
}

import {
  bedrockCalls,
  deleteObjectsKeys,
  dynamodbCalls,
  executeApiCalls,
  lambdaCalls,
  s3Calls,
  ServiceCall,
  sqsCalls,
} from './requests';

const scope = { region: 'us-west-2', account: '000000000000' };
const B = 'arn:aws:s3:::imagegen-images';
const T = 'arn:aws:dynamodb:us-west-2:000000000000:table/gens';
const brief = (calls: ServiceCall[]) => calls.map((c) => `${c.action} ${c.resource}`);

describe(s3Calls.name, () => {
  const s3 = (method: string, url: string, headers: Record<string, string> = {}, body?: string) =>
    s3Calls({ method, url, headers, ...(body !== undefined ? { body } : {}) }, scope);

  it.each([
    ['GET', '/imagegen-images/owners/o/g/i.png', 's3:GetObject', `${B}/owners/o/g/i.png`],
    ['HEAD', '/imagegen-images/a%20b.png', 's3:GetObject', `${B}/a b.png`],
    ['GET', '/imagegen-images/k?X-Amz-Signature=abc&X-Amz-Credential=x', 's3:GetObject', `${B}/k`],
    ['GET', '/imagegen-images/k?versionId=3', 's3:GetObjectVersion', `${B}/k`],
    ['PUT', '/imagegen-images/k.png', 's3:PutObject', `${B}/k.png`],
    ['PUT', '/imagegen-images/k.png?partNumber=1&uploadId=u', 's3:PutObject', `${B}/k.png`],
    ['POST', '/imagegen-images/k.png?uploads', 's3:PutObject', `${B}/k.png`],
    ['DELETE', '/imagegen-images/k.png', 's3:DeleteObject', `${B}/k.png`],
    ['DELETE', '/imagegen-images/k.png?versionId=1', 's3:DeleteObjectVersion', `${B}/k.png`],
    ['DELETE', '/imagegen-images/k.png?uploadId=u', 's3:AbortMultipartUpload', `${B}/k.png`],
    ['GET', '/imagegen-images?location', 's3:GetBucketLocation', B],
    ['HEAD', '/imagegen-images', 's3:ListBucket', B],
  ])('%s %s → %s on %s', (method, url, action, resource) => {
    expect(brief(s3(method, url))).toEqual([`${action} ${resource}`]);
  });

  it('every call carries aws:RequestedRegion', () => {
    expect(s3('GET', '/imagegen-images/k')[0].context).toEqual({ 'aws:RequestedRegion': 'us-west-2' });
  });

  it('ListObjectsV2 → s3:ListBucket on the bucket with s3:prefix, s3:delimiter and s3:max-keys', () => {
    const [c] = s3('GET', '/imagegen-images?list-type=2&prefix=owners%2Fo%2F&delimiter=%2F&max-keys=50');
    expect(c).toEqual({
      action: 's3:ListBucket',
      resource: B,
      context: {
        'aws:RequestedRegion': 'us-west-2',
        's3:prefix': 'owners/o/',
        's3:delimiter': '/',
        's3:max-keys': '50',
      },
    });
    expect(s3('GET', '/imagegen-images?list-type=2')[0].context).toEqual({
      'aws:RequestedRegion': 'us-west-2',
    });
  });

  it('CopyObject needs s3:GetObject on the source and s3:PutObject on the target', () => {
    expect(
      brief(s3('PUT', '/imagegen-images/new.png', { 'x-amz-copy-source': '/imagegen-images/old%20one.png' })),
    ).toEqual([`s3:GetObject ${B}/old one.png`, `s3:PutObject ${B}/new.png`]);
    expect(
      brief(s3('PUT', '/imagegen-images/new.png', { 'x-amz-copy-source': 'other/k?versionId=7' })),
    ).toEqual([`s3:GetObjectVersion arn:aws:s3:::other/k`, `s3:PutObject ${B}/new.png`]);
  });

  it('DeleteObjects → s3:DeleteObject per key named in the XML body', () => {
    const body =
      '<?xml version="1.0"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a/1.png</Key></Object>' +
      '<Object><Key>a/&lt;2&gt;.png</Key><VersionId>v1</VersionId></Object><Quiet>true</Quiet></Delete>';
    expect(brief(s3('POST', '/imagegen-images?delete', {}, body))).toEqual([
      `s3:DeleteObject ${B}/a/1.png`,
      `s3:DeleteObjectVersion ${B}/a/<2>.png`,
    ]);
    expect(deleteObjectsKeys(body)).toEqual([{ key: 'a/1.png' }, { key: 'a/<2>.png', versionId: 'v1' }]);
  });

  it('a browser POST upload → s3:PutObject on the key of its form', () => {
    const body = [
      '--XX',
      'Content-Disposition: form-data; name="key"',
      '',
      'uploads/u1.png',
      '--XX',
      'Content-Disposition: form-data; name="file"; filename="u1.png"',
      'Content-Type: image/png',
      '',
      'PNG…',
      '--XX--',
    ].join('\r\n');
    expect(
      brief(s3('POST', '/imagegen-images', { 'content-type': 'multipart/form-data; boundary=XX' }, body)),
    ).toEqual([`s3:PutObject ${B}/uploads/u1.png`]);
  });
});

describe(dynamodbCalls.name, () => {
  const ddb = (op: string, body: unknown) => brief(dynamodbCalls(`DynamoDB_20120810.${op}`, body, scope));

  it.each(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'Scan', 'DescribeTable'])(
    '%s → dynamodb:%s on the table ARN',
    (op) => expect(ddb(op, { TableName: 'gens' })).toEqual([`dynamodb:${op} ${T}`]),
  );

  it('Query or Scan on an index → the index ARN', () => {
    expect(ddb('Query', { TableName: 'gens', IndexName: 'byStatus' })).toEqual([
      `dynamodb:Query ${T}/index/byStatus`,
    ]);
  });

  it('TransactWriteItems → each item its own action', () => {
    expect(
      ddb('TransactWriteItems', {
        TransactItems: [
          { Put: { TableName: 'gens', Item: {} } },
          { Update: { TableName: 'gens', Key: {} } },
          { Delete: { TableName: 'other', Key: {} } },
          { ConditionCheck: { TableName: 'gens', Key: {} } },
        ],
      }),
    ).toEqual([
      `dynamodb:PutItem ${T}`,
      `dynamodb:UpdateItem ${T}`,
      'dynamodb:DeleteItem arn:aws:dynamodb:us-west-2:000000000000:table/other',
      `dynamodb:ConditionCheckItem ${T}`,
    ]);
    expect(ddb('TransactGetItems', { TransactItems: [{ Get: { TableName: 'gens' } }] })).toEqual([
      `dynamodb:GetItem ${T}`,
    ]);
  });

  it('BatchWriteItem → dynamodb:BatchWriteItem on every table named', () => {
    expect(ddb('BatchWriteItem', { RequestItems: { gens: [], other: [] } })).toEqual([
      `dynamodb:BatchWriteItem ${T}`,
      'dynamodb:BatchWriteItem arn:aws:dynamodb:us-west-2:000000000000:table/other',
    ]);
  });

  it('ListTables → `*`', () => expect(ddb('ListTables', {})).toEqual(['dynamodb:ListTables *']));

  it('an item request carries the partition key it touches as dynamodb:LeadingKeys (transaction items each their own)', () => {
    const keyed = { ...scope, partitionKey: 'ownerId' };
    const leading = (op: string, body: unknown) =>
      dynamodbCalls(`DynamoDB_20120810.${op}`, body, keyed).map((c) => c.context['dynamodb:LeadingKeys']);
    expect(
      leading('UpdateItem', {
        TableName: 'gens',
        Key: { ownerId: { S: 'ratelimit|ip|1.2.3.4' }, id: { S: '0' } },
      }),
    ).toEqual([['ratelimit|ip|1.2.3.4']]);
    expect(leading('PutItem', { TableName: 'gens', Item: { ownerId: { S: 'anon-a' } } })).toEqual([
      ['anon-a'],
    ]);
    expect(
      leading('TransactWriteItems', {
        TransactItems: [
          { Put: { TableName: 'gens', Item: { ownerId: { S: 'anon-a' } } } },
          { Update: { TableName: 'gens', Key: { ownerId: { S: 'spend|*' } } } },
        ],
      }),
    ).toEqual([['anon-a'], ['spend|*']]);
    // Without the table's key (or a key in the request), none: ForAllValues conditions then hold, as in AWS
    expect(
      dynamodbCalls('DynamoDB_20120810.GetItem', { TableName: 'gens', Key: {} }, keyed)[0]?.context,
    ).toEqual({
      'aws:RequestedRegion': 'us-west-2',
    });
  });
});

describe(lambdaCalls.name, () => {
  const F = 'arn:aws:lambda:us-west-2:000000000000:function:imagegen-worker';
  it.each([
    ['/2015-03-31/functions/imagegen-worker/invocations', F],
    ['/2015-03-31/functions/imagegen-worker/invocations?Qualifier=live', `${F}:live`],
    ['/2015-03-31/functions/imagegen-worker%3A7/invocations', `${F}:7`],
    [`/2015-03-31/functions/${encodeURIComponent(F)}/invocations`, F],
    [`/2015-03-31/functions/${encodeURIComponent(`${F}:live`)}/invocations`, `${F}:live`],
    ['/2015-03-31/functions/000000000000%3Afunction%3Aimagegen-worker/invocations', F],
  ])('%s → lambda:InvokeFunction on %s', (url, arn) => {
    expect(brief(lambdaCalls('POST', url, scope))).toEqual([`lambda:InvokeFunction ${arn}`]);
  });
});

describe(sqsCalls.name, () => {
  const Q = 'arn:aws:sqs:us-west-2:000000000000:imagegen-worker';
  const url = 'http://127.0.0.1:4576/000000000000/imagegen-worker';
  it.each([
    ['AmazonSQS.SendMessage', { QueueUrl: url, MessageBody: 'x' }, `sqs:SendMessage ${Q}`],
    ['AmazonSQS.SendMessageBatch', { QueueUrl: url, Entries: [] }, `sqs:SendMessage ${Q}`],
    ['AmazonSQS.ReceiveMessage', { QueueUrl: url }, `sqs:ReceiveMessage ${Q}`],
    ['AmazonSQS.DeleteMessage', { QueueUrl: url }, `sqs:DeleteMessage ${Q}`],
    ['AmazonSQS.DeleteMessageBatch', { QueueUrl: url }, `sqs:DeleteMessage ${Q}`],
    ['AmazonSQS.ChangeMessageVisibility', { QueueUrl: url }, `sqs:ChangeMessageVisibility ${Q}`],
    ['AmazonSQS.GetQueueAttributes', { QueueUrl: url }, `sqs:GetQueueAttributes ${Q}`],
    ['AmazonSQS.GetQueueUrl', { QueueName: 'imagegen-worker' }, `sqs:GetQueueUrl ${Q}`],
    [
      'AmazonSQS.PurgeQueue',
      { QueueUrl: 'https://sqs.us-west-2.amazonaws.com/111122223333/other' },
      'sqs:PurgeQueue arn:aws:sqs:us-west-2:111122223333:other',
    ],
    ['AmazonSQS.ListQueues', {}, 'sqs:ListQueues *'],
  ])('%s %j → %s', (target, body, expected) => {
    expect(brief(sqsCalls(target, body, scope))).toEqual([expected]);
  });
});

describe(bedrockCalls.name, () => {
  const M = 'stability.sd3-5-large-v1:0';
  const FM = `arn:aws:bedrock:us-west-2::foundation-model/${M}`;
  it.each([
    ['invoke', 'bedrock:InvokeModel'],
    ['converse', 'bedrock:InvokeModel'],
    ['invoke-with-response-stream', 'bedrock:InvokeModelWithResponseStream'],
    ['converse-stream', 'bedrock:InvokeModelWithResponseStream'],
  ])('POST /model/ID/%s → %s on the foundation model in the request region', (op, action) => {
    expect(brief(bedrockCalls('POST', `/model/${encodeURIComponent(M)}/${op}`, scope))).toEqual([
      `${action} ${FM}`,
    ]);
  });

  it('a geo inference profile: the profile ARN and the model in every destination region', () => {
    expect(brief(bedrockCalls('POST', `/model/us.${M}/invoke`, scope))).toEqual([
      `bedrock:InvokeModel arn:aws:bedrock:us-west-2:000000000000:inference-profile/us.${M}`,
      `bedrock:InvokeModel arn:aws:bedrock:us-east-1::foundation-model/${M}`,
      `bedrock:InvokeModel arn:aws:bedrock:us-east-2::foundation-model/${M}`,
      `bedrock:InvokeModel arn:aws:bedrock:us-west-2::foundation-model/${M}`,
    ]);
  });

  it('GetFoundationModelAvailability → on `*`, with aws:RequestedRegion', () => {
    expect(bedrockCalls('GET', `/foundation-model-availability/${M}`, scope)).toEqual([
      {
        action: 'bedrock:GetFoundationModelAvailability',
        resource: '*',
        context: { 'aws:RequestedRegion': 'us-west-2' },
      },
    ]);
  });
});

describe(executeApiCalls.name, () => {
  it('→ execute-api:Invoke on API_ID/STAGE/METHOD/PATH', () => {
    expect(
      brief(
        executeApiCalls(
          { method: 'post', apiId: 'abc123', stage: 'local', path: '/generations/g1/cancel' },
          scope,
        ),
      ),
    ).toEqual([
      'execute-api:Invoke arn:aws:execute-api:us-west-2:000000000000:abc123/local/POST/generations/g1/cancel',
    ]);
    expect(brief(executeApiCalls({ method: 'GET', apiId: 'a', stage: 's', path: '/' }, scope))).toEqual([
      'execute-api:Invoke arn:aws:execute-api:us-west-2:000000000000:a/s/GET/',
    ]);
  });
});

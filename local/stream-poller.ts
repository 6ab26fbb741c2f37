import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { localCredentials, localRegion } from './dynamodb-local.ts';

export type StreamLambda = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | undefined>;

export interface PollerOptions {
  client: DynamoDBClient;
  endpoint: string;
  tableName: string;
  handler: StreamLambda;
  /** Records per invocation, as the event source mapping's BatchSize (GetRecords returns at most 1,000). @default 1000 */
  batchSize?: number;
  /** Attempts per batch before its first failed record goes to the dead-letter file. @default 3 */
  maxAttempts?: number;
  /** Where the last processed sequence number per shard is kept, to resume after a restart. */
  checkpointFile?: string;
  /** JSON lines of records that kept failing (the local stand-in for the SQS on-failure queue). */
  deadLetterFile?: string;
  intervalMs?: number;
}

/**
 * Feeds the table's stream to the stream handler in the Lambda event format, as an event
 * source mapping would: in order per shard, with ReportBatchItemFailures (retry from the first
 * failed record), bounded attempts, and a dead-letter file for records that keep failing.
 */
/** What `npm start` prints after SIGUSR2 once every record written before the signal is handled (see `drain`). */
export const STREAM_DRAINED = '[stream-poller] drained: every write before SIGUSR2 is handled';

export class StreamPoller {
  private readonly streams: DynamoDBStreamsClient;
  private readonly done = new Map<string, boolean>();
  private readonly checkpoints: Record<string, string>;
  private running = false;
  private loop?: Promise<void>;
  /** Number of the current pass over the shards. */
  private pass = 0;
  /** Callers of `drain`, with the pass that was running when they called. */
  private idleWaiters: { calledDuring: number; resolve: () => void }[] = [];
  private streamArn?: string;
  private readonly options: PollerOptions;

  constructor(options: PollerOptions) {
    this.options = options;
    this.streams = new DynamoDBStreamsClient({ endpoint: options.endpoint, region: localRegion, credentials: localCredentials });
    this.checkpoints = options.checkpointFile && existsSync(options.checkpointFile) ? JSON.parse(readFileSync(options.checkpointFile, 'utf8')) : {};
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.streams.destroy();
  }

  /** Resolves once every record written before this call has been handled (or dead-lettered). */
  drain(): Promise<void> {
    // An idle pass proves it only if it started after this call: the running one may have read before the caller's last write.
    return new Promise((resolve) => this.idleWaiters.push({ calledDuring: this.pass, resolve }));
  }

  private async run(): Promise<void> {
    const iterators = new Map<string, string>();
    let shards: Shard[] = [];
    let shardsListedAt = 0;
    while (this.running) {
      const pass = ++this.pass;
      let handled = 0;
      /** Whether this pass saw every shard there is and read them all without an error: only then can it prove a drain. */
      let complete = false;
      try {
        this.streamArn ??= (await this.options.client.send(new DescribeTableCommand({ TableName: this.options.tableName }))).Table?.LatestStreamArn;
        // While there is a backlog, read on without listing shards again (new shards appear rarely; a second's delay is fine).
        if (Date.now() - shardsListedAt >= SHARD_LIST_INTERVAL_MS) {
          shards = (await this.streams.send(new DescribeStreamCommand({ StreamArn: this.streamArn }))).StreamDescription?.Shards ?? [];
          shardsListedAt = Date.now();
          complete = true;
        }
        for (const shard of readyShards(shards, this.done)) {
          handled += await this.pollShard(shard, iterators);
        }
      } catch (error) {
        complete = false;
        if (this.running) console.error('[stream-poller]', error);
      }
      if (handled === 0) {
        shardsListedAt = 0;
        const proves = (waiter: { calledDuring: number }) => complete && waiter.calledDuring < pass;
        const drained = this.idleWaiters.filter(proves);
        this.idleWaiters = this.idleWaiters.filter((waiter) => !proves(waiter));
        for (const waiter of drained) waiter.resolve();
        await new Promise((resolve) => setTimeout(resolve, this.options.intervalMs ?? 100));
      }
    }
    for (const waiter of this.idleWaiters) waiter.resolve();
  }

  private async pollShard(shard: Shard, iterators: Map<string, string>): Promise<number> {
    const shardId = shard.ShardId ?? '';
    const iterator = iterators.get(shardId) ?? (await this.iteratorFor(shardId));
    let page: { Records?: StreamRecord[]; NextShardIterator?: string };
    try {
      page = await this.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: this.options.batchSize ?? 1000 }));
    } catch (error) {
      // An iterator can expire or point before the trim horizon: start again from the checkpoint.
      if (!isStaleIterator(error)) throw error;
      iterators.delete(shardId);
      return 0;
    }
    const { Records = [], NextShardIterator } = page;
    if (Records.length > 0) await this.deliver(shardId, Records);
    if (NextShardIterator) iterators.set(shardId, NextShardIterator);
    else {
      iterators.delete(shardId);
      this.done.set(shardId, true);
    }
    return Records.length;
  }

  private async iteratorFor(shardId: string): Promise<string> {
    const after = this.checkpoints[shardId];
    const request = (position: { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER' | 'TRIM_HORIZON'; SequenceNumber?: string }) =>
      this.streams.send(new GetShardIteratorCommand({ StreamArn: this.streamArn, ShardId: shardId, ...position }));
    let answer: Awaited<ReturnType<typeof request>>;
    try {
      answer = await request(after ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after } : { ShardIteratorType: 'TRIM_HORIZON' });
    } catch (error) {
      // The checkpoint fell behind the stream's retention: what is left starts at the trim horizon.
      if (!after || !isStaleIterator(error)) throw error;
      answer = await request({ ShardIteratorType: 'TRIM_HORIZON' });
    }
    if (!answer.ShardIterator) throw new Error(`No iterator for shard ${shardId}`);
    return answer.ShardIterator;
  }

  /** Delivers a batch, retrying from the first reported failure; records that keep failing are dead-lettered. */
  private async deliver(shardId: string, records: StreamRecord[]): Promise<void> {
    let pending = records.map((record) => toLambdaRecord(record, this.streamArn ?? ''));
    const maxAttempts = this.options.maxAttempts ?? 3;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const failedId = await this.invoke(pending);
      const failedAt = failedId === undefined ? -1 : pending.findIndex((r) => r.dynamodb?.SequenceNumber === failedId);
      const succeeded = failedAt === -1 ? pending : pending.slice(0, failedAt);
      const last = succeeded.at(-1)?.dynamodb?.SequenceNumber;
      if (last) this.checkpoint(shardId, last);
      if (failedAt === -1) return;
      pending = pending.slice(failedAt);
      if (attempt >= maxAttempts) {
        const [poisoned, ...rest] = pending;
        if (poisoned) this.deadLetter(shardId, poisoned);
        pending = rest;
        attempt = 0;
      } else {
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      }
    }
  }

  /** Returns the sequence number of the earliest failed record, if any: Lambda checkpoints before the lowest one reported. */
  private async invoke(records: DynamoDBRecord[]): Promise<string | undefined> {
    try {
      const response = await this.options.handler({ Records: records });
      const failed = new Set(response?.batchItemFailures?.map((failure) => failure.itemIdentifier));
      return records.find((record) => failed.has(record.dynamodb?.SequenceNumber ?? ''))?.dynamodb?.SequenceNumber;
    } catch (error) {
      console.error('[stream-poller] handler threw; retrying the whole batch', error);
      return records[0]?.dynamodb?.SequenceNumber;
    }
  }

  private checkpoint(shardId: string, sequenceNumber: string): void {
    this.checkpoints[shardId] = sequenceNumber;
    if (this.options.checkpointFile) writeFileSync(this.options.checkpointFile, JSON.stringify(this.checkpoints));
  }

  private deadLetter(shardId: string, record: DynamoDBRecord): void {
    console.error(`[stream-poller] record ${record.dynamodb?.SequenceNumber} kept failing; moved to the dead-letter file`);
    if (this.options.deadLetterFile) appendFileSync(this.options.deadLetterFile, `${JSON.stringify({ shardId, record, at: new Date().toISOString() })}\n`);
    this.checkpoint(shardId, record.dynamodb?.SequenceNumber ?? '');
  }
}

/** How often the shard list is refreshed while records keep coming. */
const SHARD_LIST_INTERVAL_MS = 1000;

function isStaleIterator(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TrimmedDataAccessException' || error.name === 'ExpiredIteratorException');
}

/** Open shards, and closed shards not yet read to their end; children only after their parent. */
function readyShards(shards: Shard[], done: Map<string, boolean>): Shard[] {
  const known = new Set(shards.map((shard) => shard.ShardId));
  return shards.filter((shard) => !done.get(shard.ShardId ?? '') && (!shard.ParentShardId || !known.has(shard.ParentShardId) || done.get(shard.ParentShardId)));
}

function toLambdaRecord(record: StreamRecord, streamArn: string): DynamoDBRecord {
  const { dynamodb } = record;
  return {
    eventID: record.eventID,
    eventName: record.eventName as DynamoDBRecord['eventName'],
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: localRegion,
    eventSourceARN: streamArn,
    dynamodb: {
      ApproximateCreationDateTime: dynamodb?.ApproximateCreationDateTime ? dynamodb.ApproximateCreationDateTime.getTime() / 1000 : undefined,
      Keys: dynamodb?.Keys as never,
      NewImage: repairEmptyMaps(dynamodb?.NewImage) as never,
      OldImage: repairEmptyMaps(dynamodb?.OldImage) as never,
      SequenceNumber: dynamodb?.SequenceNumber,
      SizeBytes: dynamodb?.SizeBytes,
      StreamViewType: dynamodb?.StreamViewType as NonNullable<DynamoDBRecord['dynamodb']>['StreamViewType'],
    },
  };
}

/**
 * The SDK's streams client turns an empty map attribute (`{"M":{}}`) into `{}`, which
 * `unmarshall` rejects. Lambda receives the service's JSON untouched, so restore it here.
 */
function repairEmptyMaps<T>(image: T): T {
  if (!image || typeof image !== 'object') return image;
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, repairValue(value)])) as T;
}

function repairValue(value: Record<string, unknown>): Record<string, unknown> {
  if (Object.keys(value).length === 0) return { M: {} };
  if (value.M) return { M: repairEmptyMaps(value.M) };
  if (Array.isArray(value.L)) return { L: value.L.map((item) => repairValue(item as Record<string, unknown>)) };
  return value;
}

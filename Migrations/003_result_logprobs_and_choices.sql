-- Log-probabilities of a result's tokens (OpenAI's `logprobs`) and the extra choices of `n` > 1.

-- JSON array, one entry per generated token: {"token", "logprob", "bytes", "top_logprobs":
-- [{"token", "logprob", "bytes"}, ...]}, OpenAI's ChatCompletionTokenLogprob shape. NULL when
-- the job did not ask for log-probabilities.
ALTER TABLE results ADD COLUMN logprobs TEXT;

-- The choices after the first of a job that asked for several (OpenAI's `n`): a JSON array of
-- {"text", "finish_reason", "completion_tokens", "logprobs"}. The first choice is in the
-- columns above; `completion_tokens` there counts the tokens of every choice. NULL for one.
ALTER TABLE results ADD COLUMN more_choices TEXT;

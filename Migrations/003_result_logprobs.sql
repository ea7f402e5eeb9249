-- Log-probabilities of a result's tokens, when the job asked for them (OpenAI's `logprobs`).

-- JSON array, one entry per generated token: {"token", "logprob", "bytes", "top_logprobs":
-- [{"token", "logprob", "bytes"}, ...]}, OpenAI's ChatCompletionTokenLogprob shape. NULL when
-- the job did not ask for log-probabilities.
ALTER TABLE results ADD COLUMN logprobs TEXT;

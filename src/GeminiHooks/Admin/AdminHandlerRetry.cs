namespace GeminiHooks.Admin;

sealed record AdminHandlerRetry(int MaxAttempts, TimeSpan BaseDelay, TimeSpan MaxDelay);

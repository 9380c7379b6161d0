namespace GeminiHooks.Handlers.BuiltIn;

sealed record SlackMessage(string Text);

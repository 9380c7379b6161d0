namespace GeminiHooks.Server;

/// <summary>The detail line of error answers that routing produces on its own (no endpoint wrote a body).</summary>
static class StatusCodeDetails
{
    public static string For(int status) => status switch
    {
        404 => "There is no endpoint at this path.",
        405 => "This endpoint does not accept this HTTP method.",
        _ => "The request could not be processed.",
    };
}

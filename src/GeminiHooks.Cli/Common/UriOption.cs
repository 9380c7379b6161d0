using System.CommandLine;

namespace GeminiHooks.Cli.Common;

/// <summary>System.CommandLine has no built-in Uri conversion; this one also insists on absolute http(s) URLs.</summary>
internal static class UriOption
{
    public static Option<Uri> Create(string name, string description, string? defaultValue = null, bool required = false)
    {
        var option = new Option<Uri>(name)
        {
            Description = description,
            Required = required,
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : defaultValue ?? "";
                if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
                    return uri;
                result.AddError($"{name} must be an absolute http(s) URL, e.g. http://127.0.0.1:8080/webhooks/gemini (got '{text}').");
                return null;
            },
        };
        if (defaultValue is not null)
            option.DefaultValueFactory = _ => new Uri(defaultValue);
        return option;
    }
}

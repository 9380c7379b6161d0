using System.Runtime.CompilerServices;

// The dispatch tests drive the catalog and built-in handlers directly to stage crashes between write and success.
[assembly: InternalsVisibleTo("GeminiHooks.Dispatch.Tests")]

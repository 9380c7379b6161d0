using System.Text;
using GeminiHooks.Binding;
using GeminiHooks.Configuration;

namespace GeminiHooks.Tests.Verification;

/// <summary>
/// Redaction cuts the token's member out of each <c>user_metadata</c> object (top level and inside <c>data</c>) and
/// leaves every other byte alone; what it cannot read it leaves as it is.
/// </summary>
public class BindingTokenRedactionTests
{
    static readonly DynamicBindingOptions Binding = new();

    static string Redact(string body, DynamicBindingOptions? options = null) =>
        Encoding.UTF8.GetString(BindingTokenRedaction.Redact(Encoding.UTF8.GetBytes(body), options ?? Binding).Span);

    [Theory]
    [InlineData("""{"type":"t","user_metadata":{"geminihooks_token":"gh1.x","job":"a"}}""", """{"type":"t","user_metadata":{"job":"a"}}""")]
    [InlineData("""{"type":"t","user_metadata":{"job":"a","geminihooks_token":"gh1.x"}}""", """{"type":"t","user_metadata":{"job":"a"}}""")]
    [InlineData("""{"type":"t","user_metadata":{"geminihooks_token":"gh1.x"}}""", """{"type":"t","user_metadata":{}}""")]
    [InlineData("""{"data":{"id":"1","user_metadata":{ "a" : 1 , "geminihooks_token" : "gh1.x" , "b":[1,2]}},"type":"t"}""",
        """{"data":{"id":"1","user_metadata":{"a" : 1,"b":[1,2]}},"type":"t"}""")]
    // Repeated, escaped, and a non-text value: every member with the key goes.
    [InlineData("""{"user_metadata":{"geminihooks_token":"1","\u0067eminihooks_token":{"x":"gh1"},"job":"a"}}""", """{"user_metadata":{"job":"a"}}""")]
    // Both placements at once.
    [InlineData("""{"user_metadata":{"geminihooks_token":"1"},"data":{"user_metadata":{"geminihooks_token":"2","k":"v"}}}""",
        """{"user_metadata":{},"data":{"user_metadata":{"k":"v"}}}""")]
    public void The_token_member_is_cut_and_the_rest_kept_byte_for_byte(string body, string expected) =>
        Assert.Equal(expected, Redact(body));

    [Theory]
    [InlineData("""{"type":"t","data":{"id":"1"}}""")]
    [InlineData("""{"type":"t","geminihooks_token":"top-level is not user_metadata","data":{"geminihooks_token":"nor is data"}}""")]
    [InlineData("""{"type":"t","user_metadata":"not an object"}""")]
    [InlineData("""not json""")]
    public void A_body_without_a_token_in_user_metadata_is_returned_unchanged(string body) =>
        Assert.Equal(body, Redact(body));

    [Fact]
    public void KeepTokenInPayloads_and_another_metadata_key_are_honoured()
    {
        const string body = """{"user_metadata":{"geminihooks_token":"1","mine":"2"}}""";
        Assert.Equal(body, Redact(body, new DynamicBindingOptions { KeepTokenInPayloads = true }));
        Assert.Equal("""{"user_metadata":{"geminihooks_token":"1"}}""", Redact(body, new DynamicBindingOptions { MetadataKey = "mine" }));
    }
}

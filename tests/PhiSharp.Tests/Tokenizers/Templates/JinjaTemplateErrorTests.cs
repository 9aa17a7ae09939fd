using PhiSharp.Tokenizers.Templates;

namespace PhiSharp.Tests.Tokenizers.Templates;

/// <summary>A broken or hostile template fails with an error that names it and, where there is one, the place.</summary>
public class JinjaTemplateErrorTests
{
    static string Render(string template, params (string Name, object? Value)[] variables) =>
        JinjaTemplate.Parse(template, "test.jinja").Render(variables.ToDictionary(v => v.Name, v => v.Value));

    [Theory]
    [InlineData("{% if x %}open", "missing {% endif %}")]
    [InlineData("{% frobnicate %}", "unknown statement 'frobnicate'")]
    [InlineData("{{ 'unclosed }}", "never closed")]
    [InlineData("{{ a b }}", "expected '}}'")]
    [InlineData("{# no end", "never closed")]
    public void A_template_that_does_not_parse_is_refused_with_the_reason(string template, string reason)
    {
        var e = Assert.Throws<TemplateException>(() => JinjaTemplate.Parse(template, "test.jinja"));
        Assert.Equal("test.jinja", e.TemplateName);
        Assert.Contains(reason, e.Message);
        Assert.StartsWith("chat template test.jinja", e.Message);
    }

    [Fact]
    public void Errors_point_at_the_line_and_column_as_written()
    {
        var e = Assert.Throws<TemplateException>(() => Render("line one\n  {%- if true %}\n    {{ messages | frobnicate }}\n  {% endif %}", ("messages", new object[0])));
        Assert.Equal((3, 17), (e.Line, e.Column));
        Assert.Contains("unknown filter 'frobnicate'", e.Message);
    }

    [Fact]
    public void Raise_exception_stops_rendering_with_the_templates_message()
    {
        var e = Assert.Throws<TemplateException>(() => Render("{{ raise_exception('Conversation roles must alternate') }}"));
        Assert.Contains("Conversation roles must alternate", e.Message);
    }

    [Fact]
    public void Runaway_loops_stop_at_the_step_limit()
    {
        var template = JinjaTemplate.Parse("{% for i in range(100) %}{% for j in range(100) %}{% for k in range(100) %}{% endfor %}{% endfor %}{% endfor %}", "test.jinja");
        var e = Assert.Throws<TemplateException>(() => template.Render(new Dictionary<string, object?>(), new RenderLimits(MaxSteps: 10_000)));
        Assert.Contains("more than 10000 loop iterations", e.Message);
    }

    [Fact]
    public void Endless_macro_recursion_stops_at_the_nesting_limit()
    {
        var e = Assert.Throws<TemplateException>(() => Render("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}"));
        Assert.Contains("nested more than", e.Message);
    }

    [Fact]
    public void A_string_that_doubles_in_a_loop_stops_at_the_size_limit()
    {
        var e = Assert.Throws<TemplateException>(() =>
            Render("{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}"));
        Assert.Contains("more than", e.Message);
    }

    [Fact]
    public void Deep_nesting_is_refused_instead_of_overflowing_the_stack()
    {
        string deep = "{{ " + new string('(', 5000) + "1" + new string(')', 5000) + " }}";
        Assert.Throws<TemplateException>(() => JinjaTemplate.Parse(deep, "test.jinja"));
    }

    [Fact]
    public void Looping_over_an_undefined_value_renders_nothing_as_python_jinja_does()
    {
        Assert.Equal("[]", Render("[{% for call in message.tool_calls %}x{% endfor %}]", ("message", new Dictionary<string, object?>())));
    }
}

using System.Globalization;

namespace Interp.Analysis.Rules;

public enum TokenKind { Number, Name, Reference, Symbol, End }

/// <summary>A token of a rule, its 1-based column and its length in the rule (a quoted file name counts its quotes).</summary>
public sealed record RuleToken(TokenKind Kind, string Text, int Column, int Length, double Number = 0);

/// <summary>
/// Splits a rule into tokens: numbers (<c>0.3</c>, <c>1e-2</c>), names (<c>ink</c>, <c>and</c>, <c>l1</c>),
/// image references (<c>digit:1234</c>, <c>mean:3</c>, <c>file:map.txt</c> or <c>file:"a b.txt"</c>) and symbols
/// (<c>( ) , + - * / &lt; &lt;= &gt; &gt;= == !=</c>).
/// </summary>
public static class RuleLexer
{
    static readonly string[] Symbols = ["<=", ">=", "==", "!=", "<", ">", "(", ")", ",", "+", "-", "*", "/"];

    public static List<RuleToken> Tokenize(string rule)
    {
        var tokens = new List<RuleToken>();
        int i = 0;
        while (true)
        {
            while (i < rule.Length && char.IsWhiteSpace(rule[i])) i++;
            if (i >= rule.Length) break;
            char c = rule[i];
            var token = char.IsDigit(c) || (c == '.' && i + 1 < rule.Length && char.IsDigit(rule[i + 1])) ? Number(rule, i)
                : char.IsLetter(c) || c == '_' ? NameOrReference(rule, i)
                : Symbol(rule, i);
            tokens.Add(token);
            i = token.Column - 1 + token.Length;
        }
        tokens.Add(new RuleToken(TokenKind.End, "", rule.Length + 1, 0));
        return tokens;
    }

    static RuleToken Number(string rule, int start)
    {
        int i = start;
        while (i < rule.Length && (char.IsDigit(rule[i]) || rule[i] == '.')) i++;
        if (i < rule.Length && (rule[i] == 'e' || rule[i] == 'E'))
        {
            int j = i + 1;
            if (j < rule.Length && (rule[j] == '+' || rule[j] == '-')) j++;
            if (j < rule.Length && char.IsDigit(rule[j]))
            {
                i = j;
                while (i < rule.Length && char.IsDigit(rule[i])) i++;
            }
        }
        string text = rule[start..i];
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
            throw new RuleSyntaxError(rule, start + 1, $"'{text}' is not a number");
        return new RuleToken(TokenKind.Number, text, start + 1, text.Length, v);
    }

    static RuleToken NameOrReference(string rule, int start)
    {
        int i = start;
        while (i < rule.Length && (char.IsLetterOrDigit(rule[i]) || rule[i] == '_')) i++;
        if (i >= rule.Length || rule[i] != ':') return new RuleToken(TokenKind.Name, rule[start..i], start + 1, i - start);
        int argStart = i + 1;
        if (argStart < rule.Length && rule[argStart] == '"')
        {
            int close = rule.IndexOf('"', argStart + 1);
            if (close < 0) throw new RuleSyntaxError(rule, argStart + 1, "the quoted file name has no closing \"");
            return new RuleToken(TokenKind.Reference, rule[start..i] + ":" + rule[(argStart + 1)..close], start + 1, close + 1 - start);
        }
        int end = argStart;
        while (end < rule.Length && !char.IsWhiteSpace(rule[end]) && rule[end] is not (',' or ')')) end++;
        if (end == argStart) throw new RuleSyntaxError(rule, argStart + 1, $"'{rule[start..i]}:' needs a value, e.g. digit:12, mean:3 or file:map.txt");
        return new RuleToken(TokenKind.Reference, rule[start..end], start + 1, end - start);
    }

    static RuleToken Symbol(string rule, int start)
    {
        foreach (var s in Symbols)
            if (string.CompareOrdinal(rule, start, s, 0, s.Length) == 0) return new RuleToken(TokenKind.Symbol, s, start + 1, s.Length);
        string hint = rule[start] switch { '=' => " (compare with ==)", '&' => " (use and)", '|' => " (use or)", '!' => " (use not)", _ => "" };
        throw new RuleSyntaxError(rule, start + 1, $"unexpected character '{rule[start]}'{hint}");
    }
}

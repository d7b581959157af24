using Interp.Analysis.Plot;
using Interp.Analysis.Walkthroughs;
using Interp.Transformers;
using Microsoft.DotNet.Interactive.Formatting;

namespace Interp.Notebooks;

/// <summary>
/// Makes Interp display itself in Polyglot Notebooks and Jupyter's .NET kernel. After <c>#r</c> of the built
/// Interp.Notebooks.dll, one call to <see cref="Register"/>: a <see cref="Tensor"/> then shows as a compact table
/// (shape, dtype, device, values), an <see cref="ActivationCache"/> as its hooks with their shapes and bytes, and every
/// figure (<see cref="IFigure"/>, <see cref="AttentionView"/>, <see cref="TokenView"/>) inline as its SVG or HTML,
/// with the value under the mouse.
/// </summary>
public static class Formatters
{
    const string Html = "text/html";

    public static void Register()
    {
        Formatter.Register<Tensor>((t, w) => w.Write(TensorHtml.Of(t)), Html);
        Formatter.Register<ActivationCache>((c, w) => w.Write(CacheHtml.Of(c)), Html);
        Formatter.Register(typeof(IFigure), (f, w) => w.Write(Interactive(((IFigure)f).ToSvg())), Html);
        Formatter.Register<AttentionView>((v, w) => w.Write(Interactive(v.ToHtml())), Html);
        Formatter.Register<TokenView>((v, w) => w.Write(Interactive(v.ToHtml())), Html);
        foreach (var type in new[] { typeof(Tensor), typeof(ActivationCache), typeof(IFigure), typeof(AttentionView), typeof(TokenView) })
            Formatter.SetPreferredMimeTypesFor(type, Html);
        // in a notebook a missing input is an error in its cell, not the end of the kernel's process
        WalkthroughInputs.ExitOnMissing = false;
    }

    /// <summary>HTML with the reports' style and hover script (a tooltip with the exact value, the attention view's select boxes).</summary>
    static string Interactive(string html) =>
        $"<div class=\"interp-figure\"><style>{ReportScript.Style}</style>{html}<script>{ReportScript.Script}</script></div>";
}

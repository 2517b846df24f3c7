#pragma once
// Token attributions shown as text: ANSI colours for a terminal, and a standalone HTML page. The
// colours are the heatmap's: red raises the target's score, blue lowers it, the strength scaled by
// the largest |attribution| of the text.
#include <string>
#include <vector>

namespace ember::explain {

// The tokens separated by spaces, each on a background of its colour (24-bit ANSI escapes).
// tokens and scores have the same length (an ember::Error names both sizes otherwise).
std::string ansi_tokens(const std::vector<std::string>& tokens, const std::vector<double>& scores);

// A UTF-8 HTML page: `heading` lines (escaped) above the coloured tokens, each with its score as a
// tooltip, and a legend.
std::string html_tokens(const std::vector<std::string>& tokens, const std::vector<double>& scores,
                        const std::vector<std::string>& heading);
// The same, written atomically to `path`; errors name the path.
void write_attribution_html(const std::string& path, const std::vector<std::string>& tokens,
                            const std::vector<double>& scores, const std::vector<std::string>& heading);

}  // namespace ember::explain

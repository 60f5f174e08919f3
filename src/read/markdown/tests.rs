//! Layouts seen in real lists, one test each.

mod basic_layouts {
    use super::super::*;

    fn one(md: &str) -> MdEntry {
        let (entries, skipped) = parse_markdown(md);
        assert_eq!(entries.len(), 1, "{entries:#?} skipped {skipped:?}");
        entries.into_iter().next().unwrap()
    }

    #[test]
    fn linked_title_bullet() {
        let e =
            one("## Vision\n\n- [Attention Is All You Need](https://arxiv.org/abs/1706.03762v5)\n");
        assert_eq!(e.title, "Attention Is All You Need");
        assert_eq!(e.arxiv_id.as_deref(), Some("1706.03762"));
        assert_eq!(e.sections, vec!["Vision"]);
        assert_eq!(e.line, 3);
    }

    #[test]
    fn bold_title_with_paper_link() {
        let e = one(
            "- **Deep Residual Learning for Image Recognition** [[paper]](https://arxiv.org/pdf/1512.03385.pdf)\n",
        );
        assert_eq!(e.title, "Deep Residual Learning for Image Recognition");
        assert_eq!(e.arxiv_id.as_deref(), Some("1512.03385"));
        assert_eq!(
            e.links,
            vec![(
                "paper".to_string(),
                "https://arxiv.org/pdf/1512.03385.pdf".to_string()
            )]
        );
    }

    #[test]
    fn numbered_title_authors_venue() {
        let e = one(
            "1. **Language Models are Few-Shot Learners**. *Tom Brown, Benjamin Mann and Nick Ryder*. NeurIPS 2020. [[pdf](https://arxiv.org/abs/2005.14165)]\n",
        );
        assert_eq!(e.title, "Language Models are Few-Shot Learners");
        assert_eq!(e.authors, vec!["Tom Brown", "Benjamin Mann", "Nick Ryder"]);
        assert_eq!(e.venue.as_deref(), Some("NeurIPS"));
        assert_eq!(e.year, Some(2020));
    }

    #[test]
    fn date_prefix_forms() {
        let e = one(
            "- [2023/10] **Visual Instruction Tuning** *Haotian Liu, Chunyuan Li* [[paper](https://arxiv.org/abs/2304.08485)]\n",
        );
        assert_eq!(e.title, "Visual Instruction Tuning");
        assert_eq!(e.year, Some(2023));
        assert_eq!(e.authors, vec!["Haotian Liu", "Chunyuan Li"]);
        let e = one(
            "- (2021-01) **Learning Transferable Visual Models.** [paper](https://arxiv.org/abs/2103.00020)\n",
        );
        assert_eq!(e.title, "Learning Transferable Visual Models");
        assert_eq!(e.year, Some(2021));
    }

    #[test]
    fn bold_title_semicolon_then_authors() {
        let e = one(
            "- **Mastering the Game of Go without Human Knowledge;** Silver et al. [pdf](https://www.nature.com/articles/nature24270.pdf)\n",
        );
        assert_eq!(e.title, "Mastering the Game of Go without Human Knowledge");
        assert_eq!(e.authors, vec!["Silver"]);
    }

    #[test]
    fn venue_and_year_forms() {
        for (text, venue, year) in [
            ("[NeurIPS'23]", "NeurIPS", 2023),
            ("ICLR2024", "ICLR", 2024),
            ("arXiv 2023", "arXiv", 2023),
            ("CVPR 2023", "CVPR", 2023),
        ] {
            let e = one(&format!(
                "- **A Study of Things That Matter** {text} [[paper](https://arxiv.org/abs/2301.00001)]\n"
            ));
            assert_eq!(
                (e.venue.as_deref(), e.year),
                (Some(venue), Some(year)),
                "{text}"
            );
        }
        let e = one(
            "- 2023-11-14 **A Study of Things That Matter** [[paper](https://arxiv.org/abs/2301.00001)]\n",
        );
        assert_eq!(e.year, Some(2023));
        for (text, venue, year) in [
            ("*arxiv:1309.4168*", Some("arXiv"), 2013),
            ("*arXiv preprint arXiv:2001.00001*", Some("arXiv"), 2020),
            ("*short, practical*", None, 2017),
        ] {
            let e = one(&format!(
                "* Ann Lee. 2017. [A Study of Things That Matter](https://arxiv.org/abs/2301.00001). {text}.\n"
            ));
            assert_eq!((e.venue.as_deref(), e.year), (venue, Some(year)), "{text}");
        }
    }

    #[test]
    fn bibtex_style_authors() {
        let e = one(
            "**Cross-Domain Few-Shot Learning.**\n*Feng, Zerun and Zeng, Zhimin and Li, Ann*\n[[paper]](https://arxiv.org/abs/2301.00002)\n",
        );
        assert_eq!(e.authors, vec!["Zerun Feng", "Zhimin Zeng", "Ann Li"]);
    }

    /// The case: a long BibTeX-style line in a bullet and in a
    /// numbered item is five (or two, with `and others`) people, not ten names.
    #[test]
    fn bibtex_style_authors_in_bullets_and_numbered_items() {
        let e = one(
            "- **Cross-Domain Few-Shot Learning** *Feng, Zerun and Zeng, Zhimin and Li, Ann and Chen, Wei and Zhou, Jie* [[paper](https://arxiv.org/abs/2301.00002)]\n",
        );
        assert_eq!(
            e.authors,
            vec![
                "Zerun Feng",
                "Zhimin Zeng",
                "Ann Li",
                "Wei Chen",
                "Jie Zhou"
            ]
        );
        let e = one(
            "1. **Some Title Here**. *Feng, Zerun and Zeng, Zhimin and others*. CVPR 2023. [[pdf](https://arxiv.org/abs/2301.00003)]\n",
        );
        assert_eq!(e.authors, vec!["Zerun Feng", "Zhimin Zeng"]);
        assert_eq!(e.venue.as_deref(), Some("CVPR"));
    }

    #[test]
    fn old_style_arxiv_ids_and_dois() {
        let e = one("- [Strings and Branes Revisited](https://arxiv.org/abs/hep-th/9901001v2)\n");
        assert_eq!(e.arxiv_id.as_deref(), Some("hep-th/9901001"));
        let e = one(
            "- **Protein Design by Deep Learning** [[doi](https://doi.org/10.1038/S41586-021-03819-2)]\n",
        );
        // The DOI as written: DOIs compare case-insensitively, display as given.
        assert_eq!(e.doi.as_deref(), Some("10.1038/S41586-021-03819-2"));
    }

    #[test]
    fn bold_block_with_bare_url_list() {
        let md = "# 目标跟踪\n\n**ROAM: Recurrently Optimizing Tracking Model**\n\n- 论文：https://arxiv.org/abs/1907.12006\n\n- 代码：https://github.com/skyoung/ROAM\n\n**Siam R-CNN: Visual Tracking by Re-Detection**\n\n- 论文：https://arxiv.org/abs/1911.12836\n";
        let (entries, _) = parse_markdown(md);
        assert_eq!(entries.len(), 2, "{entries:#?}");
        assert_eq!(
            entries[0].title,
            "ROAM: Recurrently Optimizing Tracking Model"
        );
        assert_eq!(entries[0].arxiv_id.as_deref(), Some("1907.12006"));
        assert_eq!(entries[0].links.len(), 2);
        assert_eq!(entries[1].arxiv_id.as_deref(), Some("1911.12836"));
    }

    #[test]
    fn table_columns() {
        let md = "| Date | Title | Venue | Paper | Code |\n|---|---|---|---|---|\n| 2024.05 | **Jailbreaking Made Easy** | NeurIPS'24 | [link](https://arxiv.org/abs/2405.00001) | [link](https://github.com/a/b) |\n| 2023.01 | [A Linked Title Here](https://openreview.net/forum?id=abc) | ICLR 2023 | - | - |\n";
        let (entries, _) = parse_markdown(md);
        assert_eq!(entries.len(), 2, "{entries:#?}");
        assert_eq!(entries[0].title, "Jailbreaking Made Easy");
        assert_eq!(entries[0].venue.as_deref(), Some("NeurIPS"));
        assert_eq!(entries[0].year, Some(2024));
        assert_eq!(entries[0].links[0].0, "Paper");
        assert_eq!(entries[0].links[1].0, "Code");
        assert_eq!(entries[1].title, "A Linked Title Here");
        assert_eq!(entries[1].year, Some(2023));
    }

    #[test]
    fn not_papers() {
        let md = "# Awesome Things [![Awesome](https://awesome.re/badge.svg)](https://awesome.re)\n\n## Contents\n- [Papers](#papers)\n- [Tools](#tools)\n\n## Papers\n- [A Real Paper Title](https://arxiv.org/abs/2101.00001)\n\n## Tools\n- [spaCy](https://spacy.io) - Industrial NLP.\n\n## Contributing\n- [Some Paper Title Here](https://arxiv.org/abs/2101.00002)\n\n## License\n[MIT](LICENSE)\n";
        let (entries, skipped) = parse_markdown(md);
        assert_eq!(entries.len(), 1, "{entries:#?}");
        assert_eq!(entries[0].title, "A Real Paper Title");
        assert_eq!(entries[0].sections, vec!["Papers"]);
        assert!(skipped.is_empty(), "{skipped:?}");
    }

    #[test]
    fn details_abstract_and_badges() {
        let md = "1. **Membership Inference Attacks** (IEEE S&P 2017) ![](https://img.shields.io/badge/Reactive-green) <br />\n   *Reza Shokri, Marco Stronati*\n   [[paper](https://arxiv.org/abs/1610.05820)]\n   <details><summary><b>Abstract</b></summary>\n   We quantitatively investigate &amp; measure.\n   </details>\n";
        let e = one(md);
        assert_eq!(e.title, "Membership Inference Attacks");
        assert_eq!(e.venue.as_deref(), Some("IEEE S&P"));
        assert_eq!(e.year, Some(2017));
        assert_eq!(e.authors, vec!["Reza Shokri", "Marco Stronati"]);
        assert_eq!(
            e.abstract_text.as_deref(),
            Some("We quantitatively investigate & measure.")
        );
    }

    #[test]
    fn year_headings_give_the_year() {
        let md = "## 2019\n\n- **Optimal Sparse Decision Trees (NeurIPS)**\n  - Xiyang Hu, Cynthia Rudin\n  - [[Paper]](https://arxiv.org/abs/1904.12847)\n";
        let e = one(md);
        assert_eq!(e.title, "Optimal Sparse Decision Trees");
        assert_eq!(e.year, Some(2019));
        assert_eq!(e.authors, vec!["Xiyang Hu", "Cynthia Rudin"]);
    }

    #[test]
    fn html_records_without_links() {
        let md = "# Long Papers\n\n<p>\n<b>Anisotropy Is Inherent to Self-Attention</b><br />Nathan Godey, &Eacute;ric De La Clergerie and Beno&icirc;t Sagot<br /><br />\n<b>GEAR: Augmenting Language Models</b><br />Yining Lu and Daniel Khashabi<br /><br />\n</p>\n\n# Short Papers\n\n<p>\n<b>Pre-Training Methods for Question Reranking</b><br />Stefano Campese<br /><br />\n</p>\n";
        let (entries, _) = parse_markdown(md);
        assert_eq!(entries.len(), 3, "{entries:#?}");
        assert_eq!(entries[1].title, "GEAR: Augmenting Language Models");
        assert_eq!(entries[1].authors, vec!["Yining Lu", "Daniel Khashabi"]);
        assert_eq!(entries[2].sections, vec!["Short Papers"]);
    }

    #[test]
    fn shipped_style_block() {
        let md = "### ``*Large Vision Model*``\n\n**(*ICLR2023_ToME*) Token Merging: Your ViT But Faster.** <br>\n*Daniel Bolya, Cheng-Yang Fu.*<br>\n[[paper]](https://arxiv.org/abs/2210.09461)\n[[code]](https://github.com/facebookresearch/tome)\n";
        let e = one(md);
        assert_eq!(e.tag.as_deref(), Some("ICLR2023_ToME"));
        assert_eq!(e.title, "Token Merging: Your ViT But Faster");
        assert_eq!(e.authors, vec!["Daniel Bolya", "Cheng-Yang Fu"]);
        assert_eq!((e.venue.as_deref(), e.year), (Some("ICLR"), Some(2023)));
        assert_eq!(e.sections, vec!["Large Vision Model"]);
        assert_eq!(e.links.len(), 2);
    }

    #[test]
    fn unclosed_bold_and_missing_links_still_parse() {
        let e = one("### Sec\n\n**(*CVPR2024_X*) A Title.\n*Ann Lee, Bo Chen.*<br>\n");
        assert_eq!(e.title, "A Title");
        assert_eq!(e.authors, vec!["Ann Lee", "Bo Chen"]);
        assert!(e.links.is_empty());
        assert_eq!(e.tag.as_deref(), Some("CVPR2024_X"));
    }

    #[test]
    fn two_papers_in_one_item() {
        let (entries, _) = parse_markdown(
            "- [BPE](https://arxiv.org/abs/1508.07909) and [Unigram LM](https://arxiv.org/abs/1804.10959) - subword schemes.\n",
        );
        let ids: Vec<_> = entries
            .iter()
            .filter_map(|e| e.arxiv_id.as_deref())
            .collect();
        assert_eq!(ids, vec!["1508.07909", "1804.10959"]);
    }

    #[test]
    fn several_papers_in_one_table_cell() {
        let md = "| Subfield | Papers |\n|---|---|\n| [Surveys](#surveys) | [A Survey of Reward Models](https://arxiv.org/abs/2504.12328) (2025, arXiv)<br><sub>data: taxonomy</sub><br>[Data statements for NLP](https://aclanthology.org/Q18-1041/) (2018, TACL) |\n";
        let (entries, _) = parse_markdown(md);
        assert_eq!(entries.len(), 2, "{entries:#?}");
        assert_eq!(entries[0].arxiv_id.as_deref(), Some("2504.12328"));
        assert_eq!(entries[1].title, "Data statements for NLP");
        assert_eq!(entries[1].year, Some(2018));
    }

    #[test]
    fn unreadable_entries_are_skipped_with_lines() {
        let md = "## Papers\n\n- [[paper]](https://arxiv.org/abs/2101.00003) [[code]](https://github.com/x/y)\n";
        let (entries, skipped) = parse_markdown(md);
        assert!(entries.is_empty(), "{entries:#?}");
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].line, 3);
    }

    #[test]
    fn titles_are_clean() {
        let e = one(
            "- 🔥 **\"Scaling Laws for Neural Language Models\",** [[paper](https://arxiv.org/abs/2001.08361)] ![Stars](https://img.shields.io/github/stars/x/y)\n",
        );
        assert_eq!(e.title, "Scaling Laws for Neural Language Models");
    }
}

mod more_layouts {
    use super::super::*;

    #[test]
    fn plain_title_then_generic_link() {
        let (e, _) = parse_markdown(
            "- Neural Machine Translation by Jointly Learning to Align and Translate [pdf](https://arxiv.org/abs/1409.0473)\n- Sequence to Sequence Learning with Neural Networks. Ilya Sutskever, Oriol Vinyals, Quoc V. Le. NIPS 2014. [paper](https://arxiv.org/abs/1409.3215)\n",
        );
        assert_eq!(e.len(), 2, "{e:#?}");
        assert_eq!(
            e[0].title,
            "Neural Machine Translation by Jointly Learning to Align and Translate"
        );
        assert_eq!(
            e[1].title,
            "Sequence to Sequence Learning with Neural Networks"
        );
        assert_eq!(
            e[1].authors,
            vec!["Ilya Sutskever", "Oriol Vinyals", "Quoc V. Le"]
        );
        assert_eq!(
            (e[1].venue.as_deref(), e[1].year),
            (Some("NIPS"), Some(2014))
        );
    }

    #[test]
    fn nested_plain_title_with_link_children() {
        let (e, _) = parse_markdown(
            "- Generative Adversarial Networks\n  - Authors: Ian Goodfellow, Jean Pouget-Abadie\n  - [paper](https://arxiv.org/abs/1406.2661)\n  - [code](https://github.com/goodfeli/adversarial)\n",
        );
        assert_eq!(e.len(), 1, "{e:#?}");
        assert_eq!(e[0].title, "Generative Adversarial Networks");
        assert_eq!(e[0].authors, vec!["Ian Goodfellow", "Jean Pouget-Abadie"]);
        assert_eq!(e[0].arxiv_id.as_deref(), Some("1406.2661"));
        assert_eq!(e[0].links.len(), 2);
    }

    #[test]
    fn heading_that_links_a_paper() {
        let (e, _) = parse_markdown(
            "## Models\n\n### [Denoising Diffusion Probabilistic Models](https://arxiv.org/abs/2006.11239)\n\n[code](https://github.com/hojonathanho/diffusion)\n",
        );
        assert_eq!(e.len(), 1, "{e:#?}");
        assert_eq!(e[0].arxiv_id.as_deref(), Some("2006.11239"));
        assert_eq!(e[0].sections, vec!["Models"]);
    }

    #[test]
    fn html_list_of_papers() {
        let (e, _) = parse_markdown(
            "<ul>\n<li><a href=\"https://arxiv.org/abs/2101.00027\">The Pile: An 800GB Dataset of Diverse Text</a>, Gao et al.</li>\n<li><a href=\"https://arxiv.org/abs/2303.03915\">The BigScience ROOTS Corpus</a></li>\n</ul>\n",
        );
        let ids: Vec<_> = e.iter().filter_map(|e| e.arxiv_id.as_deref()).collect();
        assert_eq!(ids, vec!["2101.00027", "2303.03915"], "{e:#?}");
        assert_eq!(e[0].title, "The Pile: An 800GB Dataset of Diverse Text");
    }

    #[test]
    fn crlf_and_front_matter() {
        let (e, _) = parse_markdown(
            "---\r\ntitle: x\r\n---\r\n\r\n## A\r\n\r\n* **Title Of A Paper**, *ICML, Jun 2023*. [[Paper](https://arxiv.org/abs/2306.00001)]\r\n",
        );
        assert_eq!(e.len(), 1, "{e:#?}");
        assert_eq!(e[0].title, "Title Of A Paper");
        assert_eq!(e[0].venue.as_deref(), Some("ICML"));
        assert_eq!(e[0].line, 7);
    }
}

mod roadmap_layouts {
    use super::super::*;

    #[test]
    fn numbered_citation_with_quoted_bold_title() {
        let (e, _) = parse_markdown(
            "## 1.3 ImageNet Evolution\n\n**[4]** Krizhevsky, Alex, Ilya Sutskever, and Geoffrey E. Hinton. \"**Imagenet classification with deep convolutional neural networks**.\" Advances in neural information processing systems. 2012. [[pdf]](http://papers.nips.cc/paper/4824.pdf) **(AlexNet, Deep Learning Breakthrough)** :star::star::star:\n\n**[7]** He, Kaiming, et al. \"**Deep residual learning for image recognition**.\" arXiv preprint arXiv:1512.03385 (2015). [[pdf]](https://arxiv.org/pdf/1512.03385.pdf) **(ResNet)** :star::star:\n",
        );
        assert_eq!(e.len(), 2, "{e:#?}");
        assert_eq!(
            e[0].title,
            "Imagenet classification with deep convolutional neural networks"
        );
        assert_eq!(
            e[0].authors,
            vec!["Alex Krizhevsky", "Ilya Sutskever", "Geoffrey E. Hinton"]
        );
        assert_eq!(e[0].year, Some(2012));
        assert_eq!(e[1].title, "Deep residual learning for image recognition");
        assert_eq!(e[1].authors, vec!["Kaiming He"]);
        assert_eq!(e[1].arxiv_id.as_deref(), Some("1512.03385"));
        assert_eq!(e[1].year, Some(2015));
    }

    #[test]
    fn table_with_star_badge_and_bold_linked_title() {
        let md = "| Title | Venue | Date | Code | Demo |\n|:--------|:--------:|:--------:|:--------:|:--------:|\n| ![Star](https://img.shields.io/github/stars/NVlabs/VILA.svg?style=social&label=Star) <br> [**NVILA: Efficient Frontier Visual Language Models**](https://arxiv.org/pdf/2412.04468) <br> | arXiv | 2024-12-05 | [Github](https://github.com/NVlabs/VILA) | [Demo](https://vila.mit.edu) |\n";
        let e = parse_markdown(md).0;
        assert_eq!(e.len(), 1, "{e:#?}");
        assert_eq!(
            e[0].title,
            "NVILA: Efficient Frontier Visual Language Models"
        );
        assert_eq!(e[0].arxiv_id.as_deref(), Some("2412.04468"));
        assert_eq!(
            (e[0].venue.as_deref(), e[0].year),
            (Some("arXiv"), Some(2024))
        );
        assert_eq!(e[0].links.len(), 3);
    }
}

mod heading_layouts {
    use super::super::*;

    #[test]
    fn a_heading_per_paper() {
        let md = "## Detection\n\n#### [CVPR 2023] Masked Autoencoders for Point Cloud Detection\n\n*Ann Lee, Bo Chen*\n\n- [paper](https://arxiv.org/abs/2301.00005)\n- [code](https://github.com/a/b)\n\n#### Another Heading Paper About Things\n\n[[arXiv](https://arxiv.org/abs/2301.00006)]\n";
        let (e, s) = parse_markdown(md);
        assert_eq!(e.len(), 2, "{e:#?} {s:?}");
        assert_eq!(e[0].title, "Masked Autoencoders for Point Cloud Detection");
        assert_eq!(
            (e[0].venue.as_deref(), e[0].year),
            (Some("CVPR"), Some(2023))
        );
        assert_eq!(e[0].authors, vec!["Ann Lee", "Bo Chen"]);
        assert_eq!(e[0].links.len(), 2);
        assert_eq!(e[0].sections, vec!["Detection"]);
        assert_eq!(e[1].arxiv_id.as_deref(), Some("2301.00006"));
    }

    #[test]
    fn a_section_heading_with_prose_is_not_a_paper() {
        let md = "## Vision Language Models Overview\n\nThese are some models we like.\n\n- [[paper]](https://arxiv.org/abs/2301.00007) [[code]](https://github.com/a/b)\n";
        let (e, s) = parse_markdown(md);
        assert!(e.is_empty(), "{e:#?}");
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn italic_title_and_comma_title() {
        let (e, _) = parse_markdown(
            "- *Attention Is All You Need*, Vaswani et al., NeurIPS 2017 [pdf](https://arxiv.org/abs/1706.03762)\n- Dropout as a Bayesian Approximation, Yarin Gal and Zoubin Ghahramani, ICML 2016 [pdf](https://arxiv.org/abs/1506.02142)\n",
        );
        assert_eq!(e.len(), 2, "{e:#?}");
        assert_eq!(e[0].title, "Attention Is All You Need");
        assert_eq!(e[0].authors, vec!["Vaswani"]);
        assert_eq!(
            (e[0].venue.as_deref(), e[0].year),
            (Some("NeurIPS"), Some(2017))
        );
        assert_eq!(e[1].title, "Dropout as a Bayesian Approximation");
        assert_eq!(e[1].authors, vec!["Yarin Gal", "Zoubin Ghahramani"]);
    }
}

mod unseen_list_layouts {
    use super::super::*;

    fn all(md: &str) -> Vec<MdEntry> {
        parse_markdown(md).0
    }

    #[test]
    fn initials_joined_by_a_hyphen_do_not_end_the_author_line() {
        let e = all(
            "**Generalist Vision Foundation Models for Medical Imaging** \\\n\
             *Peilun Shi, Jianing Qiu, Frank P.-W. Lo, Wu Yuan* \\\n\
             [Apr. 25, 2023] [arXiv, 2023] \\\n\
             [[Paper](https://arxiv.org/abs/2304.12637)]\n",
        );
        assert_eq!(e.len(), 1, "{e:#?}");
        assert_eq!(
            e[0].authors,
            vec!["Peilun Shi", "Jianing Qiu", "Frank P.-W. Lo", "Wu Yuan"]
        );
    }

    #[test]
    fn a_labelled_venue_line_names_the_venue_after_its_label() {
        let e = all(
            "- [Consistency Models as a Rich and Efficient Policy Class for Reinforcement Learning](https://arxiv.org/abs/2310.03344)\n  \
             - Zihan Ding, Chi Jin\n  - Publisher: ICLR 2024\n",
        );
        assert_eq!(e.len(), 1, "{e:#?}");
        assert_eq!(e[0].venue.as_deref(), Some("ICLR"));
        assert_eq!(e[0].year, Some(2024));
        assert_eq!(e[0].authors, vec!["Zihan Ding", "Chi Jin"]);
    }

    #[test]
    fn a_link_to_nowhere_is_not_the_papers_link() {
        let e = all("| Title | Venue | Year |\n|---|---|---|\n\
             | [DER: Dynamically Expandable Representation for Class Incremental Learning](2021) | CVPR | 2021 |\n");
        assert_eq!(e.len(), 1, "{e:#?}");
        assert_eq!(
            e[0].title,
            "DER: Dynamically Expandable Representation for Class Incremental Learning"
        );
        assert!(e[0].links.is_empty(), "{:?}", e[0].links);
        assert_eq!(e[0].venue.as_deref(), Some("CVPR"));
    }

    #[test]
    fn numbered_references_joined_by_line_breaks_are_one_paper_each() {
        let e = all(
            "[7] Wasserthal, et al. \"TotalSegmentator: robust segmentation of 104 anatomical structures in CT images.\" arXiv preprint arXiv:2208.05868. (2023). \\\n\
             [8] Yu, X. et al. \"UNesT: Local Spatial Representation Learning with Hierarchical Transformer for Efficient Medical Segmentation.\" arXiv preprint arXiv:2209.14378.(2023).\n",
        );
        let found: Vec<(&str, Option<&str>)> = e
            .iter()
            .map(|e| (e.title.as_str(), e.arxiv_id.as_deref()))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "TotalSegmentator: robust segmentation of 104 anatomical structures in CT images",
                    Some("2208.05868")
                ),
                (
                    "UNesT: Local Spatial Representation Learning with Hierarchical Transformer for Efficient Medical Segmentation",
                    Some("2209.14378")
                ),
            ],
            "{e:#?}"
        );
    }

    #[test]
    fn a_proceeding_column_is_the_venue() {
        let e = all(
            "Year|Proceeding|Title|Comment\n----|----|------|----------\n\
             2019|CVPR 2019| Pluralistic Image Completion [[pdf]](https://arxiv.org/pdf/1903.04227.pdf)|\n",
        );
        assert_eq!(e.len(), 1, "{e:#?}");
        assert_eq!(e[0].title, "Pluralistic Image Completion");
        assert_eq!(e[0].venue.as_deref(), Some("CVPR"));
        assert_eq!(e[0].year, Some(2019));
    }

    #[test]
    fn task_list_items_keep_their_titles_and_a_lowercase_remark_is_no_venue() {
        let e = all(
            "+ [ ] VGG: [Very Deep Convolutional Networks for Large-Scale Image Recognition](https://arxiv.org/abs/1409.1556)\n\
             - [x] [LoRA](https://arxiv.org/abs/2106.09685) — *short, practical*\n\
             - [ ] [Mamba](https://arxiv.org/abs/2312.00752), *Nature Methods 2021*\n",
        );
        assert_eq!(e.len(), 3, "{e:#?}");
        assert_eq!(
            e[0].title,
            "Very Deep Convolutional Networks for Large-Scale Image Recognition"
        );
        assert_eq!((e[1].title.as_str(), e[1].venue.as_deref()), ("LoRA", None));
        assert_eq!(e[2].venue.as_deref(), Some("Nature Methods"));
    }

    #[test]
    fn a_bold_venue_tag_comes_before_the_title_not_in_its_place() {
        let (e, s) = parse_markdown(
            "## Reconstruction\n\n\
             * **[ICCV'09]** Building Rome in a Day\n\
             > Our aim is to build a city from photos.\n\n\
             * **[CVPR'24]** Streaming Gaussians for Efficient Rendering of\n\
             Free-Viewpoint Videos, no code yet\n\n\
             * **[arxiv:2207]** Structure from Action: Learning Interactions, Ann Lee, no code\n\n\
             - **[ICRA'21]** *Learning to Grasp Transparent Cups*  \n  \
             [![Paper](https://img.shields.io/badge/Paper-ICRA-blue.svg)](https://doi.org/10.1000/xyz1)\n\
             - **[MobiCom'22]** *Depth From Two Phone Cameras*  \n  \
             [![Paper](https://img.shields.io/badge/Paper-MobiCom-blue.svg)]()\n",
        );
        assert!(s.is_empty(), "{s:?}");
        let got: Vec<(&str, Option<&str>, Option<u16>)> = e
            .iter()
            .map(|e| (e.title.as_str(), e.venue.as_deref(), e.year))
            .collect();
        assert_eq!(
            got,
            vec![
                ("Building Rome in a Day", Some("ICCV"), Some(2009)),
                (
                    "Streaming Gaussians for Efficient Rendering of Free-Viewpoint Videos",
                    Some("CVPR"),
                    Some(2024)
                ),
                (
                    "Structure from Action: Learning Interactions",
                    Some("arXiv"),
                    Some(2022)
                ),
                (
                    "Learning to Grasp Transparent Cups",
                    Some("ICRA"),
                    Some(2021)
                ),
                ("Depth From Two Phone Cameras", Some("MobiCom"), Some(2022)),
            ]
        );
        assert_eq!(e[2].authors, vec!["Ann Lee"]);
        assert_eq!(e[3].doi.as_deref(), Some("10.1000/xyz1"));
        assert!(
            e.iter().all(|e| e.sections == vec!["Reconstruction"]),
            "{e:#?}"
        );
    }

    #[test]
    fn a_checklist_of_titles_without_links_is_read_and_its_to_dos_are_reported() {
        let (e, s) = parse_markdown(
            "## Award Candidates\n\n\
             - [ ] Data-driven Feature Tracking for Event Cameras\n\
             - [x] Visual Programming: Compositional visual reasoning without training\n\
             - [ ] What Can Human Sketches Do for Object Detection?\n\
             - [ ] Read the experiments and identify baselines.\n\
             - [ ] implement it in numpy first\n",
        );
        let titles: Vec<&str> = e.iter().map(|e| e.title.as_str()).collect();
        assert_eq!(
            titles,
            vec![
                "Data-driven Feature Tracking for Event Cameras",
                "Visual Programming: Compositional visual reasoning without training",
                "What Can Human Sketches Do for Object Detection?",
            ]
        );
        assert_eq!(
            s.iter().map(|s| s.line).collect::<Vec<_>>(),
            vec![6, 7],
            "{s:?}"
        );
    }

    #[test]
    fn a_link_labelled_pdf_is_the_paper_on_any_host() {
        let e = all(
            "- Trojan Nets in the Wild.\n  [[pdf]](https://library.example.edu/cgi/view.cgi?article=12&context=tech)\n  \
             - Ann Lee, and Bo Chan. *NDSS 2017*.\n",
        );
        assert_eq!(e.len(), 1, "{e:#?}");
        assert_eq!(e[0].title, "Trojan Nets in the Wild");
        assert_eq!(
            (e[0].venue.as_deref(), e[0].year),
            (Some("NDSS"), Some(2017))
        );
    }

    #[test]
    fn a_heading_that_is_a_paper_is_no_section_of_the_next() {
        let e = all(
            "## Foundations\n\n### [Paper Alpha Title Here](https://arxiv.org/abs/2001.00001)\n\nShort description.\n\n\
             ### [Paper Beta Title Here](https://arxiv.org/abs/2001.00002)\n\n- [Gamma Paper Under Beta](https://arxiv.org/abs/2001.00003)\n",
        );
        assert_eq!(e.len(), 3, "{e:#?}");
        assert!(
            e.iter().all(|e| e.sections == vec!["Foundations"]),
            "{e:#?}"
        );
    }

    #[test]
    fn a_venue_under_year_and_a_title_ending_in_its_own_acronym() {
        let e = all("| Paper | Year | Source |\n|---|---|---|\n\
             | Prompt Leaks in Chatbots | (NeurIPS, 2023) | [paper](https://arxiv.org/abs/2306.00001) |\n\
             | Private Chat Models (PCM) | 2023.01 | [paper](https://arxiv.org/abs/2306.00002) |\n");
        assert_eq!(e.len(), 2, "{e:#?}");
        assert_eq!(
            (e[0].venue.as_deref(), e[0].year),
            (Some("NeurIPS"), Some(2023))
        );
        assert_eq!(
            (e[1].title.as_str(), e[1].venue.as_deref()),
            ("Private Chat Models (PCM)", None)
        );
    }

    #[test]
    fn a_badge_link_is_named_by_the_badge_not_its_alt_text() {
        let e = all("| Paper | Year | Source |\n|---|---|---|\n\
             | Prompt Leaks in Chatbots | 2023 | [![Static Badge](https://img.shields.io/badge/paper-%23B31B1B?logo=arxiv)](https://arxiv.org/abs/2306.00001) [![Static Badge](https://img.shields.io/badge/code-black?logo=github)](https://github.com/a/b) |\n");
        assert_eq!(e.len(), 1, "{e:#?}");
        let labels: Vec<&str> = e[0].links.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(labels, vec!["paper", "code"]);
    }

    #[test]
    fn prose_that_opens_in_bold_and_cites_papers_is_not_a_paper() {
        let (e, _) = parse_markdown(
            "## Background\n\n**Vision transformers** have become the default backbone for most recognition tasks in recent years [[1](https://arxiv.org/abs/2010.11929)], [[2](https://arxiv.org/abs/2103.14030)].\n\n\
             - **Swin Transformer: Hierarchical Vision Transformer using Shifted Windows** by Ze Liu et al. [[paper](https://arxiv.org/abs/2103.14030)]\n",
        );
        let titles: Vec<&str> = e.iter().map(|e| e.title.as_str()).collect();
        assert_eq!(
            titles,
            vec!["Swin Transformer: Hierarchical Vision Transformer using Shifted Windows"]
        );
    }

    #[test]
    fn a_date_venue_or_number_before_a_plain_title() {
        let (e, s) = parse_markdown(
            "- [2025.10](https://arxiv.org/abs/2510.14952), Language to Locomotion: Retargeting-free Control, [website](https://a.github.io/)\n\
             - [2025.09](https://arxiv.org/abs/2509.20717), Dancing Robots: Residual Action Learning\n\
             - [ICCV 2023] Ablating Concepts in Text-to-Image Diffusion Models ([PDF](https://arxiv.org/abs/2303.13516))\n\
             - 【ICML 2024】Larimar: Large Language Models with Episodic Memory Control. ([PDF](https://arxiv.org/abs/2403.11901))\n\
             - 【202406】 Unlearning Things in Large Models Quickly [[PDF](https://arxiv.org/abs/2406.00001)]\n\
             - Knowledge Unlearning for LLMs: Tasks, Methods, and Challenges [[PDF](https://arxiv.org/ftp/arxiv/papers/2311/2311.15766.pdf)]\n\
             - **05.Generative Adversarial Networks** : [**Paper**](https://arxiv.org/abs/1406.2661) || [**Code**](https://github.com/a/b)\n",
        );
        assert!(s.is_empty(), "{s:?}");
        type Read<'a> = (&'a str, Option<&'a str>, Option<u16>, Option<&'a str>);
        let got: Vec<Read> = e
            .iter()
            .map(|e| {
                (
                    e.title.as_str(),
                    e.venue.as_deref(),
                    e.year,
                    e.arxiv_id.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "Language to Locomotion: Retargeting-free Control",
                    None,
                    Some(2025),
                    Some("2510.14952")
                ),
                (
                    "Dancing Robots: Residual Action Learning",
                    None,
                    Some(2025),
                    Some("2509.20717")
                ),
                (
                    "Ablating Concepts in Text-to-Image Diffusion Models",
                    Some("ICCV"),
                    Some(2023),
                    Some("2303.13516")
                ),
                (
                    "Larimar: Large Language Models with Episodic Memory Control",
                    Some("ICML"),
                    Some(2024),
                    Some("2403.11901")
                ),
                (
                    "Unlearning Things in Large Models Quickly",
                    None,
                    Some(2024),
                    Some("2406.00001")
                ),
                (
                    "Knowledge Unlearning for LLMs: Tasks, Methods, and Challenges",
                    None,
                    None,
                    Some("2311.15766")
                ),
                (
                    "Generative Adversarial Networks",
                    None,
                    None,
                    Some("1406.2661")
                ),
            ]
        );
        assert!(e[5].authors.is_empty(), "{:?}", e[5].authors);
    }

    #[test]
    fn html_in_a_comment_and_front_matter_after_a_blank_line_are_not_read() {
        let (e, _) = parse_markdown(
            "\n+++\n  # padding = [\"10px\"]\ntitle = \"Reading List\"\n+++\n\n## Pruning\n\n\
             - [The State of Sparsity in Deep Neural Networks](https://arxiv.org/abs/1902.09574)\n\n\
             <!--\n<table><tr><td>15/01/20</td>\n<td><a href=\"https://arxiv.org/abs/1803.03635\">The Lottery Ticket Hypothesis</a></td></tr></table> -->\n",
        );
        assert_eq!(e.len(), 1, "{e:#?}");
        assert_eq!(e[0].sections, vec!["Pruning"]);
    }
}

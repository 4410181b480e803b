# Doxygen's filter for smallnet's headers (FILTER_PATTERNS in Doxyfile.in). Doxygen reads only its own
# comment forms (///, ///<, /** */); the headers keep plain // comments, as the rest of the code, and
# this turns them into Doxygen's on the way in, leaving the files as they are and every line where it
# was (so warnings point at the right line).
#
# The comment under #pragma once is the header's summary: the header's page in the reference, whose
# first sentence is its one-line description (JAVADOC_AUTOBRIEF).
s%^#pragma once$%/// @file%
# A comment on lines of its own documents what follows it.
s%^\([[:space:]]*\)//\( \|$\)%\1///\2%
# A comment after a member, an argument or an enumerator documents that one.
s%\([;,]\)\([[:space:]]*\)// %\1\2///< %

"""Label production for print shops: batch assignment, downloads, reprints and their audit."""

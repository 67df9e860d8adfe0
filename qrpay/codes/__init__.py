"""What a code is: the catalog it collects for, its signed token, its payment code and its record."""
